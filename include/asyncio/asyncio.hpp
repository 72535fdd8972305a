// asyncio/asyncio.hpp - everything: `#include <asyncio/asyncio.hpp>`.
#pragma once

#include <asyncio/base_events.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/executors.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/locks.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/queues.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/selector_events.hpp>
#include <asyncio/sockets.hpp>
#include <asyncio/streams.hpp>
#include <asyncio/taskgroups.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/threads.hpp>
#include <asyncio/threadsafe.hpp>
#include <asyncio/timeouts.hpp>
#include <asyncio/transports.hpp>
