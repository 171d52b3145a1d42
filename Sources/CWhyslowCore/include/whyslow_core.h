/*
 * whyslow native core: trace parsing into a columnar span table, and the
 * interval arithmetic (self-time) over span columns.
 *
 * Only opaque handles, fixed-width integers, pointers plus counts and one
 * status enum cross this boundary. No C++ types, no exceptions.
 */
#ifndef WHYSLOW_CORE_H
#define WHYSLOW_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every fallible core call. */
typedef enum wsl_status {
  WSL_OK = 0,
  /** The bytes are not valid JSON. */
  WSL_ERROR_JSON = 1,
  /** Valid JSON, but not the shape of a supported trace format. */
  WSL_ERROR_SCHEMA = 2,
  /** Allocation failed. */
  WSL_ERROR_MEMORY = 3,
} wsl_status;

/** How a span hangs off its parent. */
typedef enum wsl_edge_kind {
  /** No parent in the table (a root, or its parent is missing). */
  WSL_EDGE_NONE = 0,
  /** Synchronous child (Jaeger CHILD_OF): the parent waits for it. */
  WSL_EDGE_CHILD_OF = 1,
  /** Asynchronous child (Jaeger FOLLOWS_FROM): never covers its parent. */
  WSL_EDGE_FOLLOWS_FROM = 2,
} wsl_edge_kind;

/** A columnar table of spans, appended to by the parsers. */
typedef struct wsl_span_table wsl_span_table;

/** Creates an empty table; free it with wsl_span_table_free. */
wsl_status wsl_span_table_create(wsl_span_table **out);
void wsl_span_table_free(wsl_span_table *table);

/**
 * Parses one Jaeger JSON document and appends its spans.
 * Accepted shapes: {"data":[trace,...]}, a bare trace object {"spans":[...]},
 * and an array of trace objects. `bytes` needs no padding; it is copied.
 * On failure nothing is appended and wsl_span_table_error describes where.
 */
wsl_status wsl_jaeger_parse(wsl_span_table *table, const char *bytes, size_t length);

/** The last error's message (NUL-terminated, owned by the table) and its byte offset or -1. */
const char *wsl_span_table_error(const wsl_span_table *table);
int64_t wsl_span_table_error_offset(const wsl_span_table *table);

/**
 * Resolves parent references to row indices within each trace. Call once after
 * the last parse and before reading the parent or edge columns.
 */
void wsl_span_table_link(wsl_span_table *table);

/** Number of spans, traces and interned strings. */
int64_t wsl_span_table_span_count(const wsl_span_table *table);
int64_t wsl_span_table_trace_count(const wsl_span_table *table);
int64_t wsl_span_table_string_count(const wsl_span_table *table);
/** Spans dropped because their span id repeated one already in the trace. */
int64_t wsl_span_table_duplicate_count(const wsl_span_table *table);
/** Spans whose parent reference names a span that is not in the table. */
int64_t wsl_span_table_orphan_count(const wsl_span_table *table);

/** Column copies into caller buffers of span_count elements. */
void wsl_span_table_copy_trace_index(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_parent_index(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_edge_kind(const wsl_span_table *table, int8_t *out);
void wsl_span_table_copy_service(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_operation(const wsl_span_table *table, int32_t *out);
void wsl_span_table_copy_start_nanos(const wsl_span_table *table, int64_t *out);
void wsl_span_table_copy_duration_nanos(const wsl_span_table *table, int64_t *out);
void wsl_span_table_copy_error(const wsl_span_table *table, int8_t *out);
/** Interned string id of each trace's id, trace_count elements. */
void wsl_span_table_copy_trace_id(const wsl_span_table *table, int32_t *out);

/** The UTF-8 bytes of interned string `index` (not NUL-terminated) and their length. */
const char *wsl_span_table_string(const wsl_span_table *table, int32_t index, size_t *length);

/**
 * Self-time of each of `count` spans: its duration minus the union of its
 * synchronous (WSL_EDGE_CHILD_OF) children's intervals, each clipped to the
 * span. Asynchronous children never cover their parent. `parent_index` holds
 * row indices (-1 for none) as wsl_span_table_copy_parent_index gives them.
 */
void wsl_self_time_nanos(size_t count, const int32_t *parent_index, const int8_t *edge_kind,
                         const int64_t *start_nanos, const int64_t *duration_nanos, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* WHYSLOW_CORE_H */
