// The binlog's record format: one record per group commit.
#pragma once

#include <optional>
#include <string>

#include "models/edge_replication/messages.h"

namespace detsim::edge {

std::string encode_group(const BinlogGroup& group);
std::optional<BinlogGroup> decode_group(std::string_view payload);

}  // namespace detsim::edge
