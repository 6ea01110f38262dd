// A fault schedule in prose, for `detsim shrink`'s report: one line per
// action, its time and every duration in seconds, nodes by the names the
// model gave them ("0.80 s: n2 is cut off from n0, n1, n3, n4, c3, c7").
#pragma once

#include <string>
#include <vector>

#include "sim/fault/fault_schedule.h"

namespace detsim {

// names: the run's node names by NodeId index (TraceSink::set_node_names);
// an index past them prints as nINDEX, as the short form does.
std::string action_prose(const FaultAction& action, const std::vector<std::string>& names);
std::vector<std::string> schedule_prose(const FaultSchedule& schedule, const std::vector<std::string>& names);

}  // namespace detsim
