// asyncio/detail/redis/url.hpp - the url of a Redis server:
//   redis://[[user]:password@]host[:port][/db]   (port 6379, db 0 by default; password
//                                                  percent-escaped; host may be [v6 address])
//   unix:///path/to/socket[?db=N]
#pragma once

#include <asyncio/exceptions.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace asyncio::detail::redis {

struct Endpoint {
    bool unix_socket = false;
    std::string host;   // tcp
    int port = 6379;    // tcp
    std::string path;   // unix
    int db = 0;
    std::optional<std::string> user;
    std::optional<std::string> password;

    /// host:port or the socket's path, for messages (never the password).
    std::string where() const { return unix_socket ? "unix:" + path : host + ":" + std::to_string(port); }
};

inline int parse_url_number(std::string_view s, long max, std::string_view what, std::string_view url) {
    if (s.empty() || s.size() > 10) throw ValueError("redis url '" + std::string(url) + "': bad " + std::string(what));
    long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') throw ValueError("redis url '" + std::string(url) + "': bad " + std::string(what));
        v = v * 10 + (c - '0');
        if (v > max) throw ValueError("redis url '" + std::string(url) + "': " + std::string(what) + " out of range");
    }
    return static_cast<int>(v);
}

inline std::string percent_decode(std::string_view s, std::string_view url) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        auto hex = [&](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            throw ValueError("redis url '" + std::string(url) + "': bad percent escape");
        };
        if (i + 2 >= s.size()) throw ValueError("redis url '" + std::string(url) + "': truncated percent escape");
        out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
        i += 2;
    }
    return out;
}

/// Parses `url`; ValueError (naming the problem) when it is malformed.
inline Endpoint parse_url(std::string_view url) {
    Endpoint ep;
    const std::string u(url);
    if (url.starts_with("unix://")) {
        ep.unix_socket = true;
        std::string_view rest = url.substr(7);
        const std::size_t q = rest.find('?');
        std::string_view path = rest.substr(0, q);
        if (path.empty() || path[0] != '/') throw ValueError("redis url '" + u + "': expected unix:///absolute/path");
        ep.path = percent_decode(path, url);
        if (q != std::string_view::npos) {
            std::string_view query = rest.substr(q + 1);
            if (!query.starts_with("db=")) throw ValueError("redis url '" + u + "': the only query parameter is db=N");
            ep.db = parse_url_number(query.substr(3), 1'000'000, "db", url);
        }
        return ep;
    }
    if (!url.starts_with("redis://")) {
        if (url.starts_with("rediss://")) throw ValueError("redis url '" + u + "': TLS (rediss://) is not supported yet");
        throw ValueError("redis url '" + u + "': expected redis://host[:port][/db] or unix:///path");
    }
    std::string_view rest = url.substr(8);
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        std::string_view db = rest.substr(slash + 1);
        if (!db.empty()) ep.db = parse_url_number(db, 1'000'000, "db", url);
    }
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const std::size_t colon = userinfo.find(':');
        if (colon == std::string_view::npos) {
            // redis://password@host is a common shorthand (redis-py reads it as a user name; we
            // refuse it rather than guess).
            throw ValueError("redis url '" + u + "': write the password as redis://:password@host");
        }
        if (colon > 0) ep.user = percent_decode(userinfo.substr(0, colon), url);
        ep.password = percent_decode(userinfo.substr(colon + 1), url);
    }
    if (authority.empty()) throw ValueError("redis url '" + u + "': no host");
    std::string_view port;
    if (authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) throw ValueError("redis url '" + u + "': unclosed [");
        ep.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw ValueError("redis url '" + u + "': junk after ]");
            port = after.substr(1);
            if (port.empty()) throw ValueError("redis url '" + u + "': empty port");
        }
    } else {
        const std::size_t colon = authority.find(':');
        ep.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) throw ValueError("redis url '" + u + "': empty port");
        }
    }
    if (ep.host.empty()) throw ValueError("redis url '" + u + "': no host");
    for (char c : ep.host)
        if (c == ' ' || c == '/' || c == '@' || c == '?' || c == '#')
            throw ValueError("redis url '" + u + "': bad character in host");
    if (!port.empty()) {
        ep.port = parse_url_number(port, 65535, "port", url);
        if (ep.port == 0) throw ValueError("redis url '" + u + "': port 0");
    }
    return ep;
}

}  // namespace asyncio::detail::redis
