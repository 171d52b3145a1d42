import CWhyslowCore

/// The allocator's policy for a whole run.
public enum ProcessMemory {
  /// Keeps memory the process frees for the allocations that follow instead of handing it
  /// back to the kernel: each step frees columns the next allocates again, and a page the
  /// kernel hands out anew costs a fault and a clearing. The peak resident size stays the
  /// same. Call once, before the first large allocation.
  public static func keepFreedMemory() { wsl_keep_freed_memory() }
}
