// asyncio/detail/redis/codec.hpp - how items cross the wire: asyncio::redis::codec<T>.
#pragma once

#include <asyncio/detail/redis/errors.hpp>

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#if !defined(ASYNCIO_REDIS_NO_JSON) && __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define ASYNCIO_REDIS_HAS_JSON 1
#else
#define ASYNCIO_REDIS_HAS_JSON 0
#endif

namespace asyncio::redis {

/// The customization point: `static std::string encode(const T&)` and
/// `static T decode(std::string_view)` (which throws DecodeError, or anything derived from
/// std::exception, for bytes it cannot read). Provided for std::string (the bytes as they are),
/// arithmetic types (decimal text: std::to_chars / std::from_chars, bool as "0"/"1") and, when
/// <nlohmann/json.hpp> is available, every type nlohmann::json converts (its to_json/from_json;
/// JSON text). Specialize it for your own type: `template <> struct asyncio::redis::codec<Job>`.
template <class T>
struct codec;

template <>
struct codec<std::string> {
    static std::string encode(const std::string& s) { return s; }
    static std::string decode(std::string_view b) { return std::string(b); }
};

template <>
struct codec<bool> {
    static std::string encode(bool b) { return b ? "1" : "0"; }
    static bool decode(std::string_view b) {
        if (b == "1") return true;
        if (b == "0") return false;
        throw DecodeError("codec<bool>: expected \"0\" or \"1\", got \"" + std::string(b.substr(0, 64)) + "\"");
    }
};

template <class T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
struct codec<T> {
    static std::string encode(T v) {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        if (ec != std::errc()) throw std::invalid_argument("codec: cannot encode the number");
        return std::string(buf, end);
    }
    static T decode(std::string_view b) {
        T v{};
        const char* first = b.data();
        const char* last = b.data() + b.size();
        auto [end, ec] = std::from_chars(first, last, v);
        if (b.empty() || ec != std::errc() || end != last)
            throw DecodeError("codec: \"" + std::string(b.substr(0, 64)) + "\" is not a number of the item type");
        return v;
    }
};

#if ASYNCIO_REDIS_HAS_JSON
namespace detail_codec {
template <class T>
concept json_convertible = !std::is_arithmetic_v<T> && !std::is_same_v<T, std::string> &&
                           std::is_constructible_v<nlohmann::json, const T&> &&
                           requires(const nlohmann::json& j) { j.template get<T>(); };
}  // namespace detail_codec

template <class T>
    requires detail_codec::json_convertible<T>
struct codec<T> {
    static std::string encode(const T& v) { return nlohmann::json(v).dump(); }
    static T decode(std::string_view b) {
        try {
            return nlohmann::json::parse(b).template get<T>();
        } catch (const nlohmann::json::exception& e) {
            throw DecodeError(std::string("codec (JSON): ") + e.what());
        }
    }
};
#endif

}  // namespace asyncio::redis
