import Foundation
import Synchronization

/// Ctrl-C / SIGTERM handling: the first signal sets a flag that the trainer checks after every step (it then
/// writes a checkpoint and stops cleanly); a second signal exits at once.
public enum Interruption {
    static let requested = Atomic<Bool>(false)

    /// Installs the handlers (idempotent).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { sig in
            if Interruption.requested.exchange(true, ordering: .sequentiallyConsistent) { _exit(128 + sig) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent may have started us with these signals blocked (e.g. a test runner spawning the CLI): unblock them
        // in this thread (threads started later inherit its mask), or Ctrl-C would never reach the handler.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        // A full disk or a file-size limit must give a write error (reported clearly), not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Whether a stop was requested.
    public static var isRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }

    /// Clears the flag (tests; a new run in the same process).
    public static func reset() { requested.store(false, ordering: .sequentiallyConsistent) }

    /// Requests a stop as if Ctrl-C had been pressed (tests).
    public static func request() { requested.store(true, ordering: .sequentiallyConsistent) }
}
