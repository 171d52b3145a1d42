// Span table lifetime, column access and parent linking.

#include <algorithm>
#include <cstring>
#include <new>

#include "span_table.hpp"

namespace {

uint64_t row_key(int32_t trace, int32_t span_id) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(trace)) << 32) | static_cast<uint32_t>(span_id);
}

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

}  // namespace

extern "C" {

wsl_status wsl_span_table_create(wsl_span_table **out) {
  *out = new (std::nothrow) wsl_span_table();
  return *out == nullptr ? WSL_ERROR_MEMORY : WSL_OK;
}

void wsl_span_table_free(wsl_span_table *table) { delete table; }

const char *wsl_span_table_error(const wsl_span_table *table) { return table->error_message.c_str(); }
int64_t wsl_span_table_error_offset(const wsl_span_table *table) { return table->error_offset; }

void wsl_span_table_link(wsl_span_table *table) {
  size_t count = table->span_count();
  // First occurrence of a (trace, span id) wins; later ones are dropped and counted.
  std::unordered_map<uint64_t, int32_t> row_by_id;
  row_by_id.reserve(count);
  std::vector<char> keep(count, 1);
  for (size_t row = 0; row < count; ++row) {
    auto inserted = row_by_id.emplace(row_key(table->trace_index[row], table->span_id[row]), 0);
    if (!inserted.second) {
      keep[row] = 0;
      ++table->duplicates;
    }
  }
  if (std::find(keep.begin(), keep.end(), 0) != keep.end()) {
    keep_rows(table->trace_index, keep);
    keep_rows(table->span_id, keep);
    keep_rows(table->parent_span_id, keep);
    keep_rows(table->edge_kind, keep);
    keep_rows(table->service, keep);
    keep_rows(table->operation, keep);
    keep_rows(table->start_nanos, keep);
    keep_rows(table->duration_nanos, keep);
    keep_rows(table->error, keep);
    count = table->span_count();
  }
  for (size_t row = 0; row < count; ++row) {
    row_by_id[row_key(table->trace_index[row], table->span_id[row])] = static_cast<int32_t>(row);
  }
  table->parent_index.assign(count, -1);
  table->orphans = 0;
  for (size_t row = 0; row < count; ++row) {
    if (table->parent_span_id[row] == whyslow::kNone) continue;
    auto parent = row_by_id.find(row_key(table->trace_index[row], table->parent_span_id[row]));
    if (parent == row_by_id.end() || parent->second == static_cast<int32_t>(row)) {
      table->edge_kind[row] = WSL_EDGE_NONE;
      ++table->orphans;
    } else {
      table->parent_index[row] = parent->second;
    }
  }
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
int64_t wsl_span_table_duplicate_count(const wsl_span_table *table) { return table->duplicates; }
int64_t wsl_span_table_orphan_count(const wsl_span_table *table) { return table->orphans; }

void wsl_span_table_copy_trace_index(const wsl_span_table *table, int32_t *out) {
  copy_column(table->trace_index, out);
}
void wsl_span_table_copy_parent_index(const wsl_span_table *table, int32_t *out) {
  copy_column(table->parent_index, out);
}
void wsl_span_table_copy_edge_kind(const wsl_span_table *table, int8_t *out) {
  copy_column(table->edge_kind, out);
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

const char *wsl_span_table_string(const wsl_span_table *table, int32_t index, size_t *length) {
  const std::string &text = table->strings.at(index);
  *length = text.size();
  return text.data();
}

}  // extern "C"
