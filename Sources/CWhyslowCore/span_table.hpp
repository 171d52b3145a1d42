// Internal layout of the span table shared by the parsers and the interval code.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "whyslow_core.h"

namespace whyslow {

/// Maps strings to dense int32 ids, first come first numbered.
class Interner {
 public:
  int32_t intern(std::string_view text) {
    auto found = index_.find(text);
    if (found != index_.end()) return found->second;
    auto id = static_cast<int32_t>(strings_.size());
    strings_.emplace_back(text);  // a deque never moves its elements, so views stay valid
    index_.emplace(std::string_view(strings_.back()), id);
    return id;
  }
  const std::string &at(int32_t id) const { return strings_[static_cast<size_t>(id)]; }
  size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, int32_t> index_;
};

/// Sentinel for "no string" in id columns.
constexpr int32_t kNone = -1;

}  // namespace whyslow

/// The table behind the opaque C handle: one vector per column.
struct wsl_span_table {
  whyslow::Interner strings;   // services, operations, trace ids
  whyslow::Interner span_ids;  // span ids, kept apart so they never reach Swift
  std::unordered_map<int32_t, int32_t> trace_by_id;  // trace id string -> trace index
  std::vector<int32_t> trace_ids;                    // trace index -> trace id string

  // Span columns.
  std::vector<int32_t> trace_index;
  std::vector<int32_t> span_id;
  std::vector<int32_t> parent_span_id;  // span_ids id or kNone
  std::vector<int8_t> edge_kind;
  std::vector<int32_t> parent_index;  // filled by link
  std::vector<int32_t> service;
  std::vector<int32_t> operation;
  std::vector<int64_t> start_nanos;
  std::vector<int64_t> duration_nanos;
  std::vector<int8_t> error;

  int64_t duplicates = 0;
  int64_t orphans = 0;

  std::string error_message;
  int64_t error_offset = -1;

  size_t span_count() const { return trace_index.size(); }

  int32_t trace_for(std::string_view id) {
    int32_t string_id = strings.intern(id);
    auto found = trace_by_id.find(string_id);
    if (found != trace_by_id.end()) return found->second;
    auto index = static_cast<int32_t>(trace_ids.size());
    trace_ids.push_back(string_id);
    trace_by_id.emplace(string_id, index);
    return index;
  }

  /// Drops span rows from `rows` on, undoing a failed parse.
  void truncate(size_t rows) {
    trace_index.resize(rows);
    span_id.resize(rows);
    parent_span_id.resize(rows);
    edge_kind.resize(rows);
    service.resize(rows);
    operation.resize(rows);
    start_nanos.resize(rows);
    duration_nanos.resize(rows);
    error.resize(rows);
  }

  void fail(std::string message, int64_t offset) {
    error_message = std::move(message);
    error_offset = offset;
  }
};
