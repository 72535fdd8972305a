// asyncio/asyncio.hpp - everything: `#include <asyncio/asyncio.hpp>`.
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/locks.hpp>
#include <asyncio/queues.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/selector_events.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/timeouts.hpp>
