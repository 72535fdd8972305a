// asyncio/detail/repr.hpp - Python's repr() of queue items, for str(q).
#pragma once

#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

template <class T>
struct is_pair_or_tuple : std::false_type {};
template <class A, class B>
struct is_pair_or_tuple<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct is_pair_or_tuple<std::tuple<Ts...>> : std::true_type {};

template <class T>
constexpr bool is_reprable();

template <class... Ts>
constexpr bool tuple_reprable_impl(std::tuple<Ts...>*) {
    return (is_reprable<Ts>() && ...);
}

/// True if T can be shown in str(q): strings, bool, pairs/tuples of such, or
/// anything with an operator<<.
template <class T>
constexpr bool is_reprable() {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        return true;
    } else if constexpr (is_pair_or_tuple<T>::value) {
        if constexpr (std::tuple_size_v<T> == 2 && requires { typename T::first_type; })
            return is_reprable<typename T::first_type>() && is_reprable<typename T::second_type>();
        else
            return tuple_reprable_impl(static_cast<T*>(nullptr));
    } else {
        return requires(std::ostream& os, const T& x) { os << x; };
    }
}

/// Python's repr of a str: single quotes unless the text holds a single
/// quote and no double quote; backslash escapes for quotes and control bytes.
inline void repr_string(std::ostream& os, std::string_view s) {
    char quote = (s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos) ? '"' : '\'';
    os << quote;
    for (unsigned char c : s) {
        switch (c) {
            case '\\': os << "\\\\"; break;
            case '\n': os << "\\n"; break;
            case '\r': os << "\\r"; break;
            case '\t': os << "\\t"; break;
            default:
                if (c == static_cast<unsigned char>(quote)) {
                    os << '\\' << quote;
                } else if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);
                    os << buf;
                } else {
                    os << static_cast<char>(c);
                }
        }
    }
    os << quote;
}

template <class T>
void repr(std::ostream& os, const T& x) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        repr_string(os, std::string_view(x));
    } else if constexpr (std::is_same_v<T, bool>) {
        os << (x ? "True" : "False");
    } else if constexpr (is_pair_or_tuple<T>::value) {
        os << '(';
        std::size_t i = 0;
        std::apply([&](const auto&... e) { ((os << (i++ ? ", " : ""), repr(os, e)), ...); }, x);
        if (std::tuple_size_v<T> == 1) os << ',';
        os << ')';
    } else {
        os << x;
    }
}

}  // namespace asyncio::detail
