// Input files mapped from the page cache, and a clear exit instead of a crash if one shrinks.
#include "whyslow_core.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include <sys/mman.h>
#include <unistd.h>

namespace {

constexpr size_t kPadding = 64;  // simdjson::SIMDJSON_PADDING
constexpr int kSlots = 64;       // files mapped at once (two batches, a few threads each)
constexpr size_t kPathBytes = 1024;

/// The mapped regions, for the SIGBUS handler to name the file a fault falls in. A slot is
/// written under the mutex and published by `end`; the handler only reads.
struct Slot {
  std::atomic<const char *> begin{nullptr};
  std::atomic<const char *> end{nullptr};
  char path[kPathBytes];
};
Slot slots[kSlots];
std::mutex slots_lock;
std::once_flag handler_installed;
struct sigaction previous_action {};

void write_text(const char *text) {
  size_t length = std::strlen(text);
  while (length > 0) {
    ssize_t written = write(STDERR_FILENO, text, length);
    if (written <= 0) return;
    text += written;
    length -= static_cast<size_t>(written);
  }
}

/// Async-signal-safe: names the file whose mapping faulted, then exits (EX_IOERR).
void on_bus_error(int signal, siginfo_t *info, void *) {
  auto address = static_cast<const char *>(info->si_addr);
  for (const Slot &slot : slots) {
    const char *begin = slot.begin.load(std::memory_order_acquire);
    const char *end = slot.end.load(std::memory_order_acquire);
    if (begin != nullptr && address >= begin && address < end) {
      write_text("whyslow: error: ");
      write_text(slot.path);
      write_text(": the file shrank while it was being read (truncated by log rotation?); read a copy of it\n");
      _exit(74);
    }
  }
  // Not one of ours: the handler there was before (the Swift runtime's backtracer, or the
  // default action) takes the fault when the faulting instruction runs again.
  (void)signal;
  sigaction(SIGBUS, &previous_action, nullptr);
}

void install_handler() {
  struct sigaction action {};
  action.sa_sigaction = on_bus_error;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous_action);
}

size_t round_up(size_t bytes, size_t page) { return (bytes + page - 1) / page * page; }

}  // namespace

extern "C" int wsl_map_file(int descriptor, const char *path, size_t length, wsl_mapped_file *file) {
  std::call_once(handler_installed, install_handler);
  auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t file_pages = round_up(length, page);
  size_t total = round_up(length + kPadding, page);
  // Reserve the whole range as zero pages, then lay the file over its start: the padding after
  // the last byte is the file page's zero tail or the anonymous page after it. Pages are
  // faulted in as the reader reaches them (a fault maps its neighbours too): MAP_POPULATE would
  // hold the address space's lock while it maps the whole file, so a second file mapped at once,
  // and every allocation that maps memory, would wait for it.
  void *base = mmap(nullptr, total, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return errno;
  if (file_pages > 0 &&
      mmap(base, file_pages, PROT_READ, MAP_PRIVATE | MAP_FIXED, descriptor, 0) == MAP_FAILED) {
    int error = errno;
    munmap(base, total);
    return error;
  }
  auto bytes = static_cast<const char *>(base);
  {
    std::lock_guard<std::mutex> guard(slots_lock);
    Slot *free_slot = nullptr;
    for (Slot &slot : slots) {
      if (slot.begin.load(std::memory_order_relaxed) == nullptr) {
        free_slot = &slot;
        break;
      }
    }
    if (free_slot == nullptr) {  // cannot name it if it faults: the caller reads it instead
      munmap(base, total);
      return EMFILE;
    }
    std::strncpy(free_slot->path, path, kPathBytes - 1);
    free_slot->path[kPathBytes - 1] = '\0';
    free_slot->end.store(bytes + total, std::memory_order_release);
    free_slot->begin.store(bytes, std::memory_order_release);
  }
  file->bytes = bytes;
  file->length = length;
  file->readable = total;
  return 0;
}

extern "C" void wsl_unmap_file(wsl_mapped_file *file) {
  if (file->bytes == nullptr) return;
  {
    std::lock_guard<std::mutex> guard(slots_lock);
    for (Slot &slot : slots) {
      if (slot.begin.load(std::memory_order_relaxed) == file->bytes) {
        slot.begin.store(nullptr, std::memory_order_release);
        slot.end.store(nullptr, std::memory_order_release);
      }
    }
  }
  auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  munmap(const_cast<char *>(file->bytes), round_up(file->length + kPadding, page));
  file->bytes = nullptr;
}
