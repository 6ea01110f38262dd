// The tables of the outbox model's databases (parts::RowStore, columns
// int64). The service's: orders and the outbox, plus the sequence's
// reservation. A consumer's: the changes it applied (its de-duplication
// record) and its own copy of each order.
#pragma once

#include "models/parts/row_store.h"

namespace detsim::outbox {

// Names of the log's topic and of the slot the log-tailing relay reads.
inline constexpr const char* kTopicName = "orders";
inline constexpr const char* kSlot = "outbox_relay";

// Service database.
inline constexpr parts::TableId kOrders = 1;    // order -> [version, status, amount, change]
inline constexpr parts::TableId kOutbox = 2;    // outbox id -> [change, order, version, status, amount]
inline constexpr parts::TableId kSequence = 3;  // kSequenceKey -> [first outbox id not yet reserved]
inline constexpr parts::Key kSequenceKey = 0;
// The planted gap bug's cursor, in the same table: kCursorKey -> [highest
// outbox id relayed]. The correct relay keeps no cursor.
inline constexpr parts::Key kCursorKey = 1;
// Consumer database.
inline constexpr parts::TableId kApplied = 10;    // change -> [order, version]
inline constexpr parts::TableId kOrderCopy = 11;  // order -> [version, status, amount]

// Column positions.
namespace orders {
inline constexpr size_t version = 0, status = 1, amount = 2, change = 3;
}
namespace outbox_row {
inline constexpr size_t change = 0, order = 1, version = 2, status = 3, amount = 4;
}

}  // namespace detsim::outbox
