// A message is a typed C++ value copied between nodes. Any type with a
// fmt::formatter can be sent; its size in bytes (for bandwidth) is
// T::size_bytes() if it has one, else sizeof(T). Its digest (for the run
// fingerprint) is T::digest() if it has one, else a hash of its text.
//
//   struct Gossip { std::vector<int64_t> values; size_t size_bytes() const; };
//   DETSIM_MESSAGE_FORMAT(Gossip, "gossip values={}", m.values.size());
//   ctx.send(peer, Gossip{...});
//   if (const Gossip* g = envelope.message.get_if<Gossip>()) ...
#pragma once

#include <fmt/format.h>

#include <concepts>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "sim/core/rng.h"

namespace detsim {

template <class T>
concept Sendable = std::copy_constructible<T> && fmt::is_formattable<T>::value;

class Message {
 public:
  Message() = default;
  // The Message test comes first: checking Sendable<Message> would need
  // Message's own copy constructor, which is this template (clang rejects
  // the recursion; conjunctions are checked left to right).
  template <class T>
    requires(!std::same_as<std::decay_t<T>, Message>) && Sendable<T>
  Message(T value)  // NOLINT(google-explicit-constructor): sending reads naturally
      : payload_(std::make_shared<const Holder<T>>(std::move(value))) {}

  bool empty() const { return payload_ == nullptr; }
  template <class T>
  bool is() const {
    return payload_ != nullptr && payload_->type == type_tag<T>();
  }
  template <class T>
  const T* get_if() const {
    return is<T>() ? &static_cast<const Holder<T>*>(payload_.get())->value : nullptr;
  }
  size_t size_bytes() const { return payload_ ? payload_->size_bytes() : 0; }
  uint64_t digest() const { return payload_ ? payload_->digest() : 0; }
  std::string describe() const { return payload_ ? payload_->describe() : std::string("<empty>"); }

 private:
  struct Base {
    const void* type;
    explicit Base(const void* t) : type(t) {}
    virtual ~Base() = default;
    virtual size_t size_bytes() const = 0;
    virtual uint64_t digest() const = 0;
    virtual std::string describe() const = 0;
  };
  template <class T>
  struct Holder final : Base {
    T value;
    explicit Holder(T v) : Base(type_tag<T>()), value(std::move(v)) {}
    size_t size_bytes() const override {
      if constexpr (requires { value.size_bytes(); })
        return value.size_bytes();
      else
        return sizeof(T);
    }
    uint64_t digest() const override {
      if constexpr (requires { value.digest(); })
        return value.digest();
      else {
        // The same bytes as fmt::format("{}", value), so the same digest,
        // but formatted on the stack: the heap string per datagram was
        // about 3% of raft_kv's time (AppendReply has no digest()).
        fmt::memory_buffer text;
        fmt::format_to(std::back_inserter(text), "{}", value);
        return stable_hash(std::string_view(text.data(), text.size()));
      }
    }
    std::string describe() const override { return fmt::format("{}", value); }
  };
  // One address per type; compared for equality only, never ordered.
  template <class T>
  static const void* type_tag() {
    static const char tag = 0;
    return &tag;
  }

  // Immutable once built, so duplicates of a datagram can share it.
  std::shared_ptr<const Base> payload_;
};

}  // namespace detsim

// How a model's message type prints: one line, "kind field=value ...", in
// traces, and hashed into the run's fingerprint unless the type has
// digest(). The message is `m` in the arguments. Use it at global scope
// after the type, with the type's full name (it specializes
// fmt::formatter, so formatting stays on the stack, with no string per
// datagram):
//   DETSIM_MESSAGE_FORMAT(mymodel::Ping, "ping seq={} from={}", m.seq, m.from);
#define DETSIM_MESSAGE_FORMAT(Type, ...)                                          \
  template <>                                                                     \
  struct fmt::formatter<Type> {                                                   \
    constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }  \
    auto format([[maybe_unused]] const Type& m, fmt::format_context& ctx) const { \
      return fmt::format_to(ctx.out(), __VA_ARGS__);                              \
    }                                                                             \
  }
