// asyncio/detail/repr.hpp - Python's repr() of queue items, for str(q).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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

/// Python's repr of a float: the shortest text that reads back the same,
/// fixed notation when the decimal exponent is in (-4, 16], else scientific
/// with a signed two-digit exponent ('1e+20', '1e-07'); '.0' on whole numbers.
inline void repr_float(std::ostream& os, double x) {
    if (std::isnan(x)) { os << "nan"; return; }
    if (std::isinf(x)) { os << (x < 0 ? "-inf" : "inf"); return; }
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));  // [-]d[.ddd]e[+-]XX
    std::string out;
    if (sci.front() == '-') { out += '-'; sci.remove_prefix(1); }
    std::size_t e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e)) if (c != '.') digits += c;
    int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
    int decpt = exp + 1;  // position of the decimal point relative to the digits
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
        } else if (static_cast<std::size_t>(decpt) >= digits.size()) {
            out += digits + std::string(static_cast<std::size_t>(decpt) - digits.size(), '0') + ".0";
        } else {
            out += digits.substr(0, static_cast<std::size_t>(decpt)) + '.' + digits.substr(static_cast<std::size_t>(decpt));
        }
    } else {
        out += digits.substr(0, 1);
        if (digits.size() > 1) out += '.' + digits.substr(1);
        char ebuf[16];
        std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        out += ebuf;
    }
    os << out;
}

template <class T>
void repr(std::ostream& os, const T& x) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        repr_string(os, std::string_view(x));
    } else if constexpr (std::is_floating_point_v<T>) {
        repr_float(os, static_cast<double>(x));
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
