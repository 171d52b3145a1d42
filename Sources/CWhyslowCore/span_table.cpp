// Span table lifetime, row appends, merging, parent linking and column access.

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <system_error>
#include <thread>

#include "span_table.hpp"

namespace {

/// A span's identity within the table: its trace and its id.
struct RowKey {
  int32_t trace;
  whyslow::SpanKey id;
  bool operator==(const RowKey &other) const { return trace == other.trace && id == other.id; }
};

struct RowKeyHash {
  size_t operator()(const RowKey &key) const {
    uint64_t x = key.id.value ^ (static_cast<uint64_t>(static_cast<uint32_t>(key.trace)) << 29) ^
                 (static_cast<uint64_t>(static_cast<uint8_t>(key.id.space)) << 61);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;  // splitmix64 finalizer
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<size_t>(x ^ (x >> 31));
  }
};

RowKey row_key(int32_t trace, whyslow::SpanKey id) { return {trace, id}; }

/// Rows by (trace, span id) within one trace at a time: open addressing with linear probing
/// in one flat array that is never cleared. `reset` starts a round for about `expected` keys
/// using the first power of two ≥ 2 × expected slots (a small trace stays in the first cache
/// lines); a slot written in an earlier round reads as empty. Grows at 1/2 load.
template <typename Value>
class RowMap {
 public:
  void reset(size_t expected) {
    size_t capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    if (slots_.size() < capacity) slots_.resize(capacity);
    mask_ = capacity - 1;
    size_ = 0;
    if (++round_ == 0) {  // the stamps wrapped around: clear them once
      std::fill(slots_.begin(), slots_.end(), Slot{});
      round_ = 1;
    }
  }
  bool empty() const { return size_ == 0; }
  /// The value stored for `key`, or null.
  Value *find(const RowKey &key) {
    for (size_t at = RowKeyHash{}(key) & mask_;; at = (at + 1) & mask_) {
      Slot &slot = slots_[at];
      if (slot.round != round_) return nullptr;
      if (slot.key == key) return &slot.value;
    }
  }
  /// Inserts (key, value) unless `key` is present; the stored value and whether it was inserted.
  std::pair<Value *, bool> emplace(const RowKey &key, const Value &value) {
    if (2 * (size_ + 1) > mask_ + 1) grow();
    for (size_t at = RowKeyHash{}(key) & mask_;; at = (at + 1) & mask_) {
      Slot &slot = slots_[at];
      if (slot.round != round_) {
        slot = Slot{key, value, round_};
        ++size_;
        return {&slot.value, true};
      }
      if (slot.key == key) return {&slot.value, false};
    }
  }
  /// Stores `value` for `key`, replacing any value there.
  void assign(const RowKey &key, const Value &value) {
    auto stored = emplace(key, value);
    if (!stored.second) *stored.first = value;
  }

 private:
  struct Slot {
    RowKey key{};
    Value value{};
    uint32_t round = 0;
  };
  void grow() {
    std::vector<Slot> entries;
    for (size_t at = 0; at <= mask_; ++at) {
      if (slots_[at].round == round_) entries.push_back(slots_[at]);
    }
    reset(2 * (mask_ + 1));
    for (const Slot &entry : entries) emplace(entry.key, entry.value);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  uint32_t round_ = 0;
};

/// The rows of each trace, in row order: rows[begin[t] ..< begin[t + 1]] (a stable counting
/// sort by trace; the readers append most traces contiguously).
struct RowsByTrace {
  std::vector<int32_t> rows;
  std::vector<size_t> begin;

  explicit RowsByTrace(const wsl_span_table &table) : rows(table.span_count()), begin(table.trace_ids.size() + 1, 0) {
    for (int32_t trace : table.trace_index) ++begin[static_cast<size_t>(trace) + 1];
    for (size_t trace = 1; trace < begin.size(); ++trace) begin[trace] += begin[trace - 1];
    std::vector<size_t> next(begin.begin(), begin.end() - 1);
    for (size_t row = 0; row < rows.size(); ++row) {
      rows[next[static_cast<size_t>(table.trace_index[row])]++] = static_cast<int32_t>(row);
    }
  }
  size_t traces() const { return begin.size() - 1; }
  size_t size(size_t trace) const { return begin[trace + 1] - begin[trace]; }
  const int32_t *first(size_t trace) const { return rows.data() + begin[trace]; }
};

template <typename T>
void copy_column(const std::vector<T> &column, T *out) {
  if (!column.empty()) std::memcpy(out, column.data(), column.size() * sizeof(T));
}

template <typename T>
void keep_rows(std::vector<T> &column, const std::vector<char> &keep) {
  size_t write = 0;
  for (size_t read = 0; read < column.size(); ++read) {
    if (keep[read]) column[write++] = column[read];
  }
  column.resize(write);
}

/// Maps the ids of one interner into another, interning each source string once.
/// `column` grown by `count` rows; the first of them.
template <typename T>
T *grown(std::vector<T> &column, size_t count) {
  column.resize(column.size() + count);
  return column.data() + column.size() - count;
}

/// `from`'s rows appended to `into`.
template <typename T>
void append_column(std::vector<T> &into, const std::vector<T> &from) {
  into.insert(into.end(), from.begin(), from.end());
}

class Remap {
 public:
  Remap(const whyslow::Interner &from, whyslow::Interner &into)
      : from_(from), into_(into), ids_(from.size(), whyslow::kNone) {}
  int32_t operator()(int32_t id) {
    if (id == whyslow::kNone) return id;
    int32_t &mapped = ids_[static_cast<size_t>(id)];
    if (mapped == whyslow::kNone) mapped = into_.intern(from_.at(id));
    return mapped;
  }

 private:
  const whyslow::Interner &from_;
  whyslow::Interner &into_;
  std::vector<int32_t> ids_;
};

constexpr const char *kUnknownService = "unknown_service";

/// Each byte's value as a hex digit, or 0x10 when it is not one.
struct HexDigits {
  uint8_t value[256];
  constexpr HexDigits() : value() {
    for (int c = 0; c < 256; ++c) {
      value[c] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0x10;
    }
  }
};
constexpr HexDigits kHexDigits;

}  // namespace

whyslow::SpanKey wsl_span_table::span_key(std::string_view id) {
  if (id.empty()) return {};
  if (id.size() <= 16) {
    uint64_t value = 0;
    uint8_t invalid = 0;
    for (char c : id) {
      uint8_t digit = kHexDigits.value[static_cast<uint8_t>(c)];
      invalid |= digit;
      value = value << 4 | (digit & 0xF);
    }
    if ((invalid & 0x10) == 0) return {value, 0};
  }
  return {static_cast<uint64_t>(span_ids.intern(id)), 1};
}

void wsl_span_table::append(const whyslow::Row &row, const whyslow::Attribute *attributes,
                            size_t attribute_count) {
  int64_t end = 0;
  if (row.duration_nanos < 0 || __builtin_add_overflow(row.start_nanos, row.duration_nanos, &end)) {
    ++quality.spans_without_timing;  // no end representable in 64-bit nanoseconds
    return;
  }
  trace_index.push_back(trace_for(row.trace()));
  span_id.push_back(row.span);
  bool has_parent = row.parent.present();
  parent_span_id.push_back(row.parent);
  edge_kind.push_back(has_parent ? row.edge_kind : WSL_EDGE_NONE);
  span_kind.push_back(row.span_kind);
  if (row.service.empty()) ++quality.spans_without_service;
  service.push_back(strings.intern(row.service.empty() ? kUnknownService : row.service));
  operation.push_back(strings.intern(row.operation));
  start_nanos.push_back(row.start_nanos);
  duration_nanos.push_back(row.duration_nanos);
  error.push_back(row.error);
  auto span = static_cast<int32_t>(trace_index.size() - 1);
  for (const whyslow::Attribute *attribute = attributes; attribute < attributes + attribute_count; ++attribute) {
    attribute_span.push_back(span);
    int32_t key = strings.intern(attribute->key);
    attribute_key.push_back(key);
    bool valued = attribute->type != WSL_ATTRIBUTE_EVENT && attribute->recorded;
    attribute_text.push_back(valued ? value_id(key, attribute->text) : whyslow::kNone);
    attribute_number.push_back(attribute->number);
    attribute_type.push_back(attribute->type);
    attribute_time.push_back(attribute->time_nanos);
  }
}

void wsl_span_table::reserve(size_t spans, size_t attributes) {
  if (span_count() != 0) return;  // a table that already holds spans grows as it goes
  for (auto *column : {&trace_index, &service, &operation}) column->reserve(spans);
  span_id.reserve(spans);
  parent_span_id.reserve(spans);
  for (auto *column : {&edge_kind, &span_kind, &error}) column->reserve(spans);
  start_nanos.reserve(spans);
  duration_nanos.reserve(spans);
  for (auto *column : {&attribute_span, &attribute_key, &attribute_text}) column->reserve(attributes);
  attribute_number.reserve(attributes);
  attribute_type.reserve(attributes);
  attribute_time.reserve(attributes);
}

int32_t wsl_span_table::value_id(int32_t key, std::string_view text) {
  int32_t known = strings.find(text);
  if (known >= 0) return known;
  if (static_cast<size_t>(key) >= value_budget.size()) value_budget.resize(strings.size());
  ValueBudget &budget = value_budget[static_cast<size_t>(key)];
  if (!budget.seen) {
    std::string_view name = strings.at(key);
    budget.exempt = name == "http.route" || name == "http.target" || name == "url.path";
    budget.seen = true;
  }
  if (budget.recorded >= max_distinct_values && !budget.exempt) {
    if (unrecorded_values++ == 0) {
      note("attribute values: beyond " + std::to_string(max_distinct_values) +
           " distinct values of one attribute in a file, further values are counted, not recorded (ids; "
           "--max-distinct-values raises the limit)");
    }
    return whyslow::kNone;
  }
  ++budget.recorded;
  return strings.intern(text);
}

void wsl_span_table::note(const std::string &text) {
  if (std::find(notes.begin(), notes.end(), text) == notes.end()) notes.push_back(text);
}

namespace {

/// What linking repairs and finds, counted by each worker and added up after.
/// Traces up to this many spans get their orphans re-attached (the search is quadratic).
constexpr size_t kLargestTraceToRepair = 20000;

/// A span whose parent is missing (dropped by sampling, an export that failed, a crashed
/// service) is hung under the shortest span of its trace whose interval holds its own and that
/// is not below it: where the missing span was. Otherwise the orphan's subtree would leave the
/// trace's critical path, and its time would land in the self-time of the span that called the
/// missing one. Returns how many were re-attached; the others stay roots.
int64_t reattach(wsl_span_table &table, const int32_t *rows, size_t size, const std::vector<int32_t> &orphans) {
  int64_t reattached = 0;
  for (int32_t orphan : orphans) {
    auto o = static_cast<size_t>(orphan);
    const int64_t start = table.start_nanos[o], end = start + table.duration_nanos[o];
    int32_t best = -1;
    for (const int32_t *at = rows; at < rows + size; ++at) {
      auto c = static_cast<size_t>(*at);
      if (*at == orphan || table.start_nanos[c] > start || table.start_nanos[c] + table.duration_nanos[c] < end) continue;
      if (best >= 0 && table.duration_nanos[c] >= table.duration_nanos[static_cast<size_t>(best)]) continue;
      bool below = false;  // a descendant of the orphan would close a cycle
      for (int32_t up = *at; up >= 0 && !below; up = table.parent_index[static_cast<size_t>(up)]) below = up == orphan;
      if (!below) best = *at;
    }
    if (best < 0) continue;
    table.parent_index[o] = best;
    table.edge_kind[o] = table.span_kind[o] == WSL_KIND_CONSUMER ? WSL_EDGE_FOLLOWS_FROM : WSL_EDGE_CHILD_OF;
    ++reattached;
  }
  return reattached;
}

struct LinkCounts {
  int64_t duplicate_spans = 0, shared_spans_split = 0, orphan_spans = 0, async_edges = 0, skewed_spans = 0,
          worst_skew_nanos = 0, multi_root_traces = 0, incomplete_traces = 0, reattached_orphans = 0;

  void add_to(wsl_quality &quality) const {
    quality.duplicate_spans += duplicate_spans;
    quality.shared_spans_split += shared_spans_split;
    quality.orphan_spans += orphan_spans;
    quality.async_edges += async_edges;
    quality.skewed_spans += skewed_spans;
    quality.worst_skew_nanos = std::max(quality.worst_skew_nanos, worst_skew_nanos);
    quality.multi_root_traces += multi_root_traces;
    quality.incomplete_traces += incomplete_traces;
    quality.reattached_orphans += reattached_orphans;
  }
};

/// Runs `work(first_trace, end_trace, counts)` over the traces of `traces` in up to `threads`
/// shares of about equal spans, the first on the calling thread and each other on a thread of
/// its own, and adds up what they counted into `quality`. Traces never share rows, so the
/// workers write disjoint rows; each keeps its own maps. A failure (out of memory) in any
/// share is raised on the calling thread.
template <typename Work>
void over_traces(const RowsByTrace &traces, int threads, wsl_quality &quality, Work work) {
  size_t count = traces.traces();
  size_t shares = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), count / 64 + 1));
  std::vector<size_t> bounds{0};
  for (size_t share = 1; share < shares; ++share) {  // the trace at which share `share` begins
    size_t rows = traces.begin.back() * share / shares;
    bounds.push_back(static_cast<size_t>(std::upper_bound(traces.begin.begin(), traces.begin.end() - 1, rows) -
                                         traces.begin.begin()) - 1);
  }
  bounds.push_back(count);
  std::vector<LinkCounts> counts(shares);
  std::vector<std::exception_ptr> failures(shares);
  auto run = [&](size_t share) {
    try {
      work(bounds[share], bounds[share + 1], counts[share]);
    } catch (...) {
      failures[share] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  for (size_t share = 1; share < shares; ++share) {
    try {
      workers.emplace_back(run, share);
    } catch (const std::system_error &) {  // no thread to be had: this share runs here
      run(share);
    }
  }
  run(0);
  for (std::thread &worker : workers) worker.join();
  for (const std::exception_ptr &failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  for (const LinkCounts &share : counts) share.add_to(quality);
}

}  // namespace

extern "C" {

wsl_status wsl_span_table_create(wsl_span_table **out) {
  *out = new (std::nothrow) wsl_span_table();
  return *out == nullptr ? WSL_ERROR_MEMORY : WSL_OK;
}

void wsl_span_table_free(wsl_span_table *table) { delete table; }

const char *wsl_span_table_error(const wsl_span_table *table) { return table->error_message.c_str(); }
const char *wsl_span_table_error_place(const wsl_span_table *table) { return table->error_place.c_str(); }

int64_t wsl_span_table_warning_count(const wsl_span_table *table) {
  return static_cast<int64_t>(table->warnings.size());
}

const char *wsl_span_table_warning_place(const wsl_span_table *table, int64_t index) {
  return table->warnings[static_cast<size_t>(index)].place.c_str();
}

const char *wsl_span_table_warning(const wsl_span_table *table, int64_t index) {
  return table->warnings[static_cast<size_t>(index)].message.c_str();
}

void wsl_span_table_add_note(wsl_span_table *table, const char *text) { table->note(text); }

void wsl_span_table_set_value_limit(wsl_span_table *table, int32_t limit) {
  table->max_distinct_values = std::max<int32_t>(limit, 0);
}

wsl_status wsl_span_table_append(wsl_span_table *into, wsl_span_table *from) {
  if (into->empty()) {
    std::swap(*into, *from);  // the first file of a batch: no re-interning, no copy
    return WSL_OK;
  }
  try {
    Remap strings(from->strings, into->strings);
    Remap span_id_texts(from->span_ids, into->span_ids);
    auto span_ids = [&](whyslow::SpanKey key) {
      if (key.space == 1 || key.space == 3) key.value = static_cast<uint64_t>(span_id_texts(static_cast<int32_t>(key.value)));
      return key;
    };
    std::vector<int32_t> traces(from->trace_ids.size());
    for (size_t trace = 0; trace < traces.size(); ++trace) {
      traces[trace] = into->trace_for(from->strings.at(from->trace_ids[trace]));
    }
    auto first_span = static_cast<int32_t>(into->span_count());
    for (auto column : {&wsl_span_table::edge_kind, &wsl_span_table::span_kind, &wsl_span_table::error}) {
      append_column(into->*column, from->*column);
    }
    append_column(into->start_nanos, from->start_nanos);
    append_column(into->duration_nanos, from->duration_nanos);
    size_t rows = from->span_count();
    int32_t *trace_index = grown(into->trace_index, rows), *service = grown(into->service, rows),
            *operation = grown(into->operation, rows);
    whyslow::SpanKey *span_id = grown(into->span_id, rows), *parent_span_id = grown(into->parent_span_id, rows);
    for (size_t row = 0; row < rows; ++row) {  // strings are numbered in the order the rows meet them
      trace_index[row] = traces[static_cast<size_t>(from->trace_index[row])];
      span_id[row] = span_ids(from->span_id[row]);
      parent_span_id[row] = span_ids(from->parent_span_id[row]);
      service[row] = strings(from->service[row]);
      operation[row] = strings(from->operation[row]);
    }
    append_column(into->attribute_number, from->attribute_number);
    append_column(into->attribute_type, from->attribute_type);
    append_column(into->attribute_time, from->attribute_time);
    size_t items = from->attribute_span.size();
    int32_t *attribute_span = grown(into->attribute_span, items), *attribute_key = grown(into->attribute_key, items),
            *attribute_text = grown(into->attribute_text, items);
    for (size_t item = 0; item < items; ++item) {
      attribute_span[item] = first_span + from->attribute_span[item];
      attribute_key[item] = strings(from->attribute_key[item]);
      attribute_text[item] = strings(from->attribute_text[item]);
    }
    into->quality.spans_without_timing += from->quality.spans_without_timing;
    into->quality.skipped_records += from->quality.skipped_records;
    into->quality.spans_without_service += from->quality.spans_without_service;
    into->quality.async_edges += from->quality.async_edges;
    for (const std::string &text : from->notes) into->note(text);
    return WSL_OK;
  } catch (const std::bad_alloc &) {
    return WSL_ERROR_MEMORY;
  }
}

void wsl_span_table_link(wsl_span_table *table, int32_t threads) {
  size_t count = table->span_count();
  wsl_quality &quality = table->quality;

  // 1. Repeated (trace, span id): a Zipkin client/server pair becomes parent and child; any
  //    other repeat is a duplicate and dropped (the first occurrence wins). Trace by trace:
  //    keys of different traces never meet.
  std::vector<char> keep(count, 1);
  int64_t duplicates_before = quality.duplicate_spans;
  RowsByTrace traces(*table);
  over_traces(traces, threads, quality, [&](size_t first_trace, size_t end_trace, LinkCounts &counts) {
    RowMap<int32_t> row_by_id;  // within the current trace
    RowMap<whyslow::SpanKey> server_half_id;  // shared id key -> server's new span id
    for (size_t trace = first_trace; trace < end_trace; ++trace) {
      const int32_t *rows = traces.first(trace);
      size_t size = traces.size(trace);
      row_by_id.reset(2 * size);  // room for the server halves' new ids
      server_half_id.reset(0);
      for (const int32_t *at = rows; at < rows + size; ++at) {
        auto row = static_cast<size_t>(*at);
        RowKey key = row_key(table->trace_index[row], table->span_id[row]);
        auto inserted = row_by_id.emplace(key, static_cast<int32_t>(row));
        if (inserted.second) continue;
        auto first = static_cast<size_t>(*inserted.first);
        int8_t kinds[2] = {table->span_kind[first], table->span_kind[row]};
        bool pair = ((kinds[0] == WSL_KIND_CLIENT && kinds[1] == WSL_KIND_SERVER) ||
                     (kinds[0] == WSL_KIND_SERVER && kinds[1] == WSL_KIND_CLIENT)) &&
                    server_half_id.find(key) == nullptr;
        if (!pair) {
          keep[row] = 0;
          ++counts.duplicate_spans;
          continue;
        }
        size_t server = kinds[0] == WSL_KIND_SERVER ? first : row;
        size_t client = server == first ? row : first;
        whyslow::SpanKey shared_id = table->span_id[client];
        whyslow::SpanKey new_id{shared_id.value, static_cast<int8_t>(shared_id.space + 2)};
        table->span_id[server] = new_id;
        table->parent_span_id[server] = shared_id;
        table->edge_kind[server] = WSL_EDGE_CHILD_OF;
        *inserted.first = static_cast<int32_t>(client);
        row_by_id.assign(row_key(table->trace_index[server], new_id), static_cast<int32_t>(server));
        server_half_id.assign(key, new_id);
        ++counts.shared_spans_split;
      }
      if (server_half_id.empty()) continue;
      // Children of a shared span were made by its server half.
      for (const int32_t *at = rows; at < rows + size; ++at) {
        auto row = static_cast<size_t>(*at);
        if (!keep[row] || !table->parent_span_id[row].present()) continue;
        const whyslow::SpanKey *server = server_half_id.find(row_key(table->trace_index[row], table->parent_span_id[row]));
        if (server != nullptr && !(*server == table->span_id[row])) table->parent_span_id[row] = *server;
      }
    }
  });
  if (quality.duplicate_spans > duplicates_before) {
    keep_rows(table->trace_index, keep);
    keep_rows(table->span_id, keep);
    keep_rows(table->parent_span_id, keep);
    keep_rows(table->edge_kind, keep);
    keep_rows(table->span_kind, keep);
    keep_rows(table->service, keep);
    keep_rows(table->operation, keep);
    keep_rows(table->start_nanos, keep);
    keep_rows(table->duration_nanos, keep);
    keep_rows(table->error, keep);
    std::vector<int32_t> new_row(count, -1);
    for (size_t row = 0, kept = 0; row < count; ++row) {
      if (keep[row]) new_row[row] = static_cast<int32_t>(kept++);
    }
    std::vector<char> keep_attribute(table->attribute_span.size());
    for (size_t item = 0; item < keep_attribute.size(); ++item) {
      int32_t mapped = new_row[static_cast<size_t>(table->attribute_span[item])];
      keep_attribute[item] = mapped >= 0;
      table->attribute_span[item] = mapped;
    }
    keep_rows(table->attribute_span, keep_attribute);
    keep_rows(table->attribute_key, keep_attribute);
    keep_rows(table->attribute_text, keep_attribute);
    keep_rows(table->attribute_number, keep_attribute);
    keep_rows(table->attribute_type, keep_attribute);
    keep_rows(table->attribute_time, keep_attribute);
    count = table->span_count();
    traces = RowsByTrace(*table);  // rows renumbered
  }

  // 2. Parents, orphans, asynchronous edges, clock skew, roots per trace; trace by trace, the
  //    span ids of the trace in a map that stays in cache. Then parent cycles (malformed
  //    input) are cut where they close: that span becomes an orphan, so every walk up the
  //    tree ends (walks start at the trace's rows in order, and never leave the trace).
  table->parent_index.assign(count, -1);
  std::vector<int8_t> state(count, 0);  // 0 unvisited, 1 on the current walk, 2 done
  over_traces(traces, threads, quality, [&](size_t first_trace, size_t end_trace, LinkCounts &counts) {
    RowMap<int32_t> row_by_id;
    std::vector<int32_t> walk;
    std::vector<int32_t> orphans;  // of the current trace: spans whose parent is missing
    for (size_t trace = first_trace; trace < end_trace; ++trace) {
      const int32_t *rows = traces.first(trace);
      size_t size = traces.size(trace);
      row_by_id.reset(size);
      for (const int32_t *at = rows; at < rows + size; ++at) {
        row_by_id.assign(row_key(table->trace_index[static_cast<size_t>(*at)], table->span_id[static_cast<size_t>(*at)]), *at);
      }
      int32_t roots = 0;
      orphans.clear();
      for (const int32_t *at = rows; at < rows + size; ++at) {
        auto row = static_cast<size_t>(*at);
        if (!table->parent_span_id[row].present()) {
          ++roots;
          continue;
        }
        const int32_t *found = row_by_id.find(row_key(table->trace_index[row], table->parent_span_id[row]));
        if (found == nullptr || *found == static_cast<int32_t>(row)) {
          table->edge_kind[row] = WSL_EDGE_NONE;
          ++counts.orphan_spans;
          if (found == nullptr) orphans.push_back(static_cast<int32_t>(row));
          continue;
        }
        auto parent = static_cast<size_t>(*found);
        table->parent_index[row] = *found;
        if (table->edge_kind[row] == WSL_EDGE_CHILD_OF &&
            (table->span_kind[row] == WSL_KIND_CONSUMER || table->span_kind[parent] == WSL_KIND_PRODUCER)) {
          table->edge_kind[row] = WSL_EDGE_FOLLOWS_FROM;
        }
        if (table->edge_kind[row] == WSL_EDGE_FOLLOWS_FROM) {
          ++counts.async_edges;
          continue;
        }
        int64_t early = whyslow::saturating_difference(table->start_nanos[parent], table->start_nanos[row]);
        int64_t late = whyslow::saturating_difference(table->start_nanos[row] + table->duration_nanos[row],
                                                      table->start_nanos[parent] + table->duration_nanos[parent]);
        int64_t overhang = std::max(early, late);
        if (overhang > 0) {
          ++counts.skewed_spans;
          counts.worst_skew_nanos = std::max(counts.worst_skew_nanos, overhang);
        }
      }
      counts.multi_root_traces += roots > 1 ? 1 : 0;
      for (const int32_t *at = rows; at < rows + size; ++at) {
        walk.clear();
        int32_t row = *at;
        while (row >= 0 && state[static_cast<size_t>(row)] == 0) {
          state[static_cast<size_t>(row)] = 1;
          walk.push_back(row);
          row = table->parent_index[static_cast<size_t>(row)];
        }
        if (row >= 0 && state[static_cast<size_t>(row)] == 1) {
          size_t last = static_cast<size_t>(walk.back());  // its parent closes the cycle
          table->parent_index[last] = -1;
          table->edge_kind[last] = WSL_EDGE_NONE;
          ++counts.orphan_spans;
        }
        for (int32_t visited : walk) state[static_cast<size_t>(visited)] = 2;
      }
      if (!orphans.empty() && size <= kLargestTraceToRepair) {
        counts.incomplete_traces += 1;
        counts.reattached_orphans += reattach(*table, rows, size, orphans);
      } else if (!orphans.empty()) {
        counts.incomplete_traces += 1;
      }
    }
  });
}

int64_t wsl_span_table_span_count(const wsl_span_table *table) {
  return static_cast<int64_t>(table->span_count());
}
int64_t wsl_span_table_trace_count(const wsl_span_table *table) {
  return static_cast<int64_t>(table->trace_ids.size());
}
int64_t wsl_span_table_string_count(const wsl_span_table *table) {
  return static_cast<int64_t>(table->strings.size());
}
int64_t wsl_span_table_attribute_count(const wsl_span_table *table) {
  return static_cast<int64_t>(table->attribute_span.size());
}
wsl_quality wsl_span_table_quality(const wsl_span_table *table) { return table->quality; }

int64_t wsl_span_table_note_count(const wsl_span_table *table) {
  return static_cast<int64_t>(table->notes.size());
}
const char *wsl_span_table_note(const wsl_span_table *table, int64_t index) {
  return table->notes[static_cast<size_t>(index)].c_str();
}

void wsl_span_table_copy_trace_index(const wsl_span_table *table, int32_t *out) {
  copy_column(table->trace_index, out);
}
void wsl_span_table_copy_parent_index(const wsl_span_table *table, int32_t *out) {
  copy_column(table->parent_index, out);
}
void wsl_span_table_copy_edge_kind(const wsl_span_table *table, int8_t *out) {
  copy_column(table->edge_kind, out);
}
void wsl_span_table_copy_span_kind(const wsl_span_table *table, int8_t *out) {
  copy_column(table->span_kind, out);
}
void wsl_span_table_copy_service(const wsl_span_table *table, int32_t *out) {
  copy_column(table->service, out);
}
void wsl_span_table_copy_operation(const wsl_span_table *table, int32_t *out) {
  copy_column(table->operation, out);
}
void wsl_span_table_copy_start_nanos(const wsl_span_table *table, int64_t *out) {
  copy_column(table->start_nanos, out);
}
void wsl_span_table_copy_duration_nanos(const wsl_span_table *table, int64_t *out) {
  copy_column(table->duration_nanos, out);
}
void wsl_span_table_copy_error(const wsl_span_table *table, int8_t *out) { copy_column(table->error, out); }
void wsl_span_table_copy_trace_id(const wsl_span_table *table, int32_t *out) {
  copy_column(table->trace_ids, out);
}
void wsl_span_table_copy_attribute_span(const wsl_span_table *table, int32_t *out) {
  copy_column(table->attribute_span, out);
}
void wsl_span_table_copy_attribute_key(const wsl_span_table *table, int32_t *out) {
  copy_column(table->attribute_key, out);
}
void wsl_span_table_copy_attribute_text(const wsl_span_table *table, int32_t *out) {
  copy_column(table->attribute_text, out);
}
void wsl_span_table_copy_attribute_number(const wsl_span_table *table, double *out) {
  copy_column(table->attribute_number, out);
}
void wsl_span_table_copy_attribute_type(const wsl_span_table *table, int8_t *out) {
  copy_column(table->attribute_type, out);
}
void wsl_span_table_copy_attribute_time(const wsl_span_table *table, int64_t *out) {
  copy_column(table->attribute_time, out);
}

const char *wsl_span_table_string(const wsl_span_table *table, int32_t index, size_t *length) {
  std::string_view text = table->strings.at(index);
  *length = text.size();
  return text.data();
}

}  // extern "C"
