// One name per node in every output (docs/faults.md "Node names"): the name
// the model gave it (Setup::add_server("s0")), or, where that name cannot
// identify the node, a generated "nN" (N: the node's index). Fault text
// reads both: a schedule saved with names and one saved before them ("n3").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/api/node_id.h"

namespace detsim {

// The names to print, by node index. A given name is kept unless it is
// empty, used by another node, looks like "nK" for another node's index
// K, or holds a character that fault text uses as punctuation (space ,
// | < > ; = # @); such a node gets "n<index>". *generated (if not null) lists the
// indexes that got a generated name.
std::vector<std::string> stable_node_names(const std::vector<std::string>& given,
                                           std::vector<uint32_t>* generated = nullptr);

// The node a name stands for: one of names, or "nN" for any index below
// names.size() (the numbered form old schedules use).
std::optional<NodeId> resolve_node_name(std::string_view name, const std::vector<std::string>& names);

// Fault text (FaultSchedule::to_short_string or to_file_text) with each
// "nN" word replaced by names[N]. Words are runs of characters other than
// space, tab, newline, ',', '|', '<', '>' and ';'.
std::string name_nodes_in_fault_text(std::string_view text, const std::vector<std::string>& names);

// The reverse: each word that is one of names becomes "nN", so the
// numbered parser reads it. Other words are left as they are: the parser
// reports an unknown name ("expected a node like n2, got 'db9'"), and
// FaultSchedule::validate an "nN" past the last node.
std::string number_nodes_in_fault_text(std::string_view text, const std::vector<std::string>& names);

}  // namespace detsim
