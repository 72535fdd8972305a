// asyncio/streams.hpp - streams (Python's asyncio.streams): StreamReader,
// StreamWriter, open_connection, start_server and their Unix variants.
#pragma once

#include <asyncio/detail/stream_reader.hpp>
