// Interval arithmetic over linked span rows: self-time.

#include <algorithm>
#include <utility>
#include <vector>

#include "whyslow_core.h"

extern "C" void wsl_self_time_nanos(size_t count, const int32_t *parent_index, const int8_t *edge_kind,
                                    const int64_t *start_nanos, const int64_t *duration_nanos,
                                    int64_t *out) {
  // Synchronous children grouped by parent row (compressed sparse rows).
  std::vector<int32_t> first_child(count + 1, 0);
  for (size_t row = 0; row < count; ++row) {
    if (edge_kind[row] == WSL_EDGE_CHILD_OF) ++first_child[parent_index[row] + 1];
  }
  for (size_t row = 0; row < count; ++row) first_child[row + 1] += first_child[row];
  std::vector<int32_t> children(static_cast<size_t>(first_child[count]));
  std::vector<int32_t> cursor(first_child.begin(), first_child.end() - 1);
  for (size_t row = 0; row < count; ++row) {
    if (edge_kind[row] == WSL_EDGE_CHILD_OF) {
      children[static_cast<size_t>(cursor[parent_index[row]]++)] = static_cast<int32_t>(row);
    }
  }

  std::vector<std::pair<int64_t, int64_t>> covered;  // reused scratch: clipped child intervals
  for (size_t row = 0; row < count; ++row) {
    const int64_t start = start_nanos[row];
    const int64_t end = start + duration_nanos[row];
    covered.clear();
    for (int32_t slot = first_child[row]; slot < first_child[row + 1]; ++slot) {
      const auto child = static_cast<size_t>(children[static_cast<size_t>(slot)]);
      const int64_t child_start = std::max(start, start_nanos[child]);
      const int64_t child_end = std::min(end, start_nanos[child] + duration_nanos[child]);
      if (child_start < child_end) covered.emplace_back(child_start, child_end);
    }
    std::sort(covered.begin(), covered.end());
    int64_t busy = 0;
    int64_t reach = start;  // end of the union so far
    for (const auto &interval : covered) {
      const int64_t from = std::max(interval.first, reach);
      if (interval.second > from) {
        busy += interval.second - from;
        reach = interval.second;
      }
    }
    out[row] = duration_nanos[row] - busy;
  }
}
