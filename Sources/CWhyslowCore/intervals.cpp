// Interval arithmetic over linked span rows: self-time, the critical path (CRISP), waits,
// depths, start offsets and network gaps. Children are grouped once into compressed sparse
// rows; no per-span heap objects.

#include <algorithm>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "span_table.hpp"

namespace {

/// Children grouped by parent row: children of row r are rows[first[r] .. first[r + 1]).
struct ChildLists {
  std::vector<int32_t> first;
  std::vector<int32_t> rows;

  ChildLists(const wsl_span_columns &spans, bool synchronous_only) : first(spans.count + 1, 0) {
    auto counts = [&](size_t row) {
      return spans.parent_index[row] >= 0 && (!synchronous_only || spans.edge_kind[row] == WSL_EDGE_CHILD_OF);
    };
    for (size_t row = 0; row < spans.count; ++row) {
      if (counts(row)) ++first[static_cast<size_t>(spans.parent_index[row]) + 1];
    }
    for (size_t row = 0; row < spans.count; ++row) first[row + 1] += first[row];
    rows.resize(static_cast<size_t>(first[spans.count]));
    std::vector<int32_t> cursor(first.begin(), first.end() - 1);
    for (size_t row = 0; row < spans.count; ++row) {  // rows stay in document order
      if (counts(row)) rows[static_cast<size_t>(cursor[static_cast<size_t>(spans.parent_index[row])]++)] = static_cast<int32_t>(row);
    }
  }

  const int32_t *begin(size_t row) const { return rows.data() + first[row]; }
  const int32_t *end(size_t row) const { return rows.data() + first[row + 1]; }
};

int64_t end_of(const wsl_span_columns &spans, size_t row) { return spans.start_nanos[row] + spans.duration_nanos[row]; }

/// A child's interval clipped to its parent's window.
struct Clipped {
  int64_t start, end;
  int32_t row;
};

/// The start and end events of a parent's clipped children, each sorted, to count the events
/// inside a window by binary search: O(log k) per question instead of a pass over k siblings.
struct SiblingEvents {
  std::vector<int64_t> starts, ends;

  explicit SiblingEvents(const std::vector<Clipped> &children) {
    starts.reserve(children.size());
    ends.reserve(children.size());
    for (const Clipped &child : children) {
      starts.push_back(child.start);
      ends.push_back(child.end);
    }
    std::sort(starts.begin(), starts.end());
    std::sort(ends.begin(), ends.end());
  }

  /// The number of start and end events within [from, to], both inclusive.
  size_t within(int64_t from, int64_t to) const {
    auto count = [&](const std::vector<int64_t> &events) {
      return static_cast<size_t>(std::upper_bound(events.begin(), events.end(), to) -
                                 std::lower_bound(events.begin(), events.end(), from));
    };
    return count(starts) + count(ends);
  }
};

/// CRISP's happens-before: `before` ends before `later` starts, or overlaps it by less than
/// 1% of the parent's duration with no third sibling event inside the overlap (clock skew).
bool happens_before(const Clipped &before, const Clipped &later, int64_t parent_duration,
                    const SiblingEvents &siblings) {
  if (before.end < later.start) return true;
  if (before.end < later.end && before.start < later.start && parent_duration > 0) {
    double overlap = static_cast<double>(before.end - later.start) / static_cast<double>(parent_duration);
    return overlap < 0.01 && siblings.within(later.start, before.end) == 2;
  }
  return false;
}

}  // namespace

extern "C" void wsl_compute_span_metrics(const wsl_span_columns *columns, size_t trace_count,
                                         const int32_t *root_row, const wsl_span_metrics *out) {
  const wsl_span_columns &spans = *columns;
  const size_t count = spans.count;
  const ChildLists sync(spans, true);
  const ChildLists all(spans, false);
  std::vector<Clipped> clipped;  // reused scratch

  // Self-time: duration minus the union of synchronous children clipped to the span.
  for (size_t row = 0; row < count; ++row) {
    const int64_t start = spans.start_nanos[row], end = end_of(spans, row);
    clipped.clear();
    for (const int32_t *child = sync.begin(row); child < sync.end(row); ++child) {
      auto c = static_cast<size_t>(*child);
      int64_t from = std::max(start, spans.start_nanos[c]), to = std::min(end, end_of(spans, c));
      if (from < to) clipped.push_back({from, to, *child});
    }
    std::sort(clipped.begin(), clipped.end(), [](const Clipped &a, const Clipped &b) {
      return a.start != b.start ? a.start < b.start : a.end < b.end;
    });
    int64_t busy = 0, reach = start;
    for (const Clipped &interval : clipped) {
      int64_t from = std::max(interval.start, reach);
      if (interval.end > from) {
        busy += interval.end - from;
        reach = interval.end;
      }
    }
    out->self_nanos[row] = spans.duration_nanos[row] - busy;
  }

  // Depth (roots 0) and the offset of each start from its trace root's start.
  std::vector<int32_t> walk;
  std::fill(out->depth, out->depth + count, -1);
  for (size_t row = 0; row < count; ++row) {
    walk.clear();
    int32_t at = static_cast<int32_t>(row);
    while (at >= 0 && out->depth[at] < 0) {
      walk.push_back(at);
      at = spans.parent_index[at];
    }
    int32_t depth = at >= 0 ? out->depth[at] : -1;
    for (auto it = walk.rbegin(); it != walk.rend(); ++it) out->depth[*it] = ++depth;
    int32_t root = root_row[spans.trace_index[row]];
    out->start_offset_nanos[row] =
        whyslow::saturating_difference(spans.start_nanos[row], root >= 0 ? spans.start_nanos[root] : spans.start_nanos[row]);
  }

  // Wait: from the parent's start, or the latest end of a sibling that finished before this
  // span started (sequential calls), to this span's start; never negative.
  std::fill(out->wait_nanos, out->wait_nanos + count, 0);
  std::vector<int32_t> order;
  for (size_t parent = 0; parent < count; ++parent) {
    order.assign(all.begin(parent), all.end(parent));
    if (order.empty()) continue;
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return spans.start_nanos[a] < spans.start_nanos[b]; });
    std::priority_queue<int64_t, std::vector<int64_t>, std::greater<int64_t>> pending_ends;
    int64_t ready = spans.start_nanos[parent];
    for (int32_t child : order) {
      int64_t start = spans.start_nanos[child];
      while (!pending_ends.empty() && pending_ends.top() <= start) {
        ready = std::max(ready, pending_ends.top());
        pending_ends.pop();
      }
      out->wait_nanos[child] = std::max<int64_t>(0, whyslow::saturating_difference(start, ready));
      pending_ends.push(end_of(spans, static_cast<size_t>(child)));
    }
  }

  // Network gap: a client span (kind CLIENT, or of no kind with every synchronous child in one
  // other service) minus its callee's server span (the longest such child).
  for (size_t row = 0; row < count; ++row) {
    out->network_gap_nanos[row] = 0;
    out->callee_row[row] = -1;
    const int8_t kind = spans.span_kind[row];
    if (kind != WSL_KIND_CLIENT && kind != WSL_KIND_UNSPECIFIED) continue;
    int32_t callee = -1;
    bool one_other_service = sync.begin(row) < sync.end(row);
    for (const int32_t *child = sync.begin(row); child < sync.end(row); ++child) {
      auto c = static_cast<size_t>(*child);
      bool remote = spans.service[c] != spans.service[row] &&
                    (spans.span_kind[c] == WSL_KIND_SERVER || spans.span_kind[c] == WSL_KIND_UNSPECIFIED);
      one_other_service = one_other_service && remote &&
                          (callee < 0 || spans.service[c] == spans.service[static_cast<size_t>(callee)]);
      if (remote && (callee < 0 || spans.duration_nanos[c] > spans.duration_nanos[static_cast<size_t>(callee)])) {
        callee = *child;
      }
    }
    if (callee < 0 || (kind == WSL_KIND_UNSPECIFIED && !one_other_service)) continue;
    out->callee_row[row] = callee;
    out->network_gap_nanos[row] =
        std::max<int64_t>(0, spans.duration_nanos[row] - spans.duration_nanos[static_cast<size_t>(callee)]);
  }

  // Critical path (CRISP): from each root, the last-finishing child and, walking back, each
  // child that happens before the one last added; children are clipped to their parent and a
  // skewed overlap to the later sibling's start. O(k log k) per parent of k children.
  // A span's critical time is its window minus its critical children's windows, so the
  // critical times of a trace sum to its root's duration exactly.
  std::fill(out->critical_nanos, out->critical_nanos + count, 0);
  struct Window {
    int32_t row;
    int64_t start, end;
  };
  std::vector<Window> stack;
  for (size_t trace = 0; trace < trace_count; ++trace) {
    int32_t root = root_row[trace];
    if (root < 0) continue;
    stack.push_back({root, spans.start_nanos[root], end_of(spans, static_cast<size_t>(root))});
    while (!stack.empty()) {
      Window node = stack.back();
      stack.pop_back();
      clipped.clear();
      for (const int32_t *child = sync.begin(static_cast<size_t>(node.row)); child < sync.end(static_cast<size_t>(node.row)); ++child) {
        auto c = static_cast<size_t>(*child);
        int64_t from = std::max(node.start, spans.start_nanos[c]), to = std::min(node.end, end_of(spans, c));
        if (from < to) clipped.push_back({from, to, *child});
      }
      // Latest end first; equal ends in reverse document order, as CRISP visits them.
      std::sort(clipped.begin(), clipped.end(), [](const Clipped &a, const Clipped &b) {
        return a.end != b.end ? a.end > b.end : a.row > b.row;
      });
      const SiblingEvents events(clipped);
      int64_t covered = 0;
      const Clipped *last = nullptr;
      for (const Clipped &child : clipped) {
        if (last != nullptr && !happens_before(child, *last, node.end - node.start, events)) continue;
        // A skewed overlap is cut at the later sibling's start, so critical windows never
        // overlap: every critical time is non-negative and a trace's still sum to its latency.
        int64_t end = last != nullptr ? std::min(child.end, last->start) : child.end;
        if (end > child.start) {
          covered += end - child.start;
          stack.push_back({child.row, child.start, end});
        }
        last = &child;
      }
      out->critical_nanos[node.row] += (node.end - node.start) - covered;
    }
  }
}
