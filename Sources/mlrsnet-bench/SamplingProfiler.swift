import Foundation
#if canImport(Glibc)
import Glibc

/// A tiny wall-clock sampling profiler for `--profile` (Linux only): every `interval` a SIGALRM stops
/// the main thread, whose call stack is recorded with `backtrace()` into preallocated memory. Later
/// the return addresses are resolved against the executable's own ELF symbol table and demangled,
/// and each sample is charged to the innermost `NN.<Type>.<method>` / `Optim.<Type>.<method>` frame
/// on its stack — e.g. a GEMM inside `Conv2d.backward` counts as `Conv2d.backward`, a residual add
/// done by `BasicBlock.forward` itself counts as `BasicBlock.forward`.
///
/// Why the main thread: it runs every layer and takes part in every parallel region (the worker
/// pool runs parts on the caller too), so its stack says which layer the wall time belongs to.
/// Worker threads block SIGALRM (they inherit the mask when the pool is created under `start`).
/// Layers inlined into their caller are charged to the caller (small ones such as ReLU may be).
///
/// No instrumentation of the engine is needed, and the timed measurements run without it.
final class SamplingProfiler {
    private let capacity: Int
    private let depth = 64

    /// Sets the profiler up; call it before `WorkerPool.shared` is first used, with a closure that
    /// creates the worker threads, so that they inherit a signal mask that blocks SIGALRM.
    init(maxSamples: Int = 200_000, createThreads: () -> Void) {
        capacity = maxSamples
        profFrames = .allocate(capacity: capacity * depth)
        profDepths = .allocate(capacity: capacity)
        profCapacity = capacity
        profDepth = depth
        profCount = 0
        profMainThread = pthread_self()
        // Load the unwinder now: its first call may allocate, which a signal handler must not do.
        profBacktrace = unsafeBitCast(dlsym(nil, "backtrace"), to: BacktraceFunction?.self)
        if let bt = profBacktrace { _ = bt(profFrames, Int32(depth)) }

        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGALRM)
        pthread_sigmask(SIG_BLOCK, &block, nil)
        createThreads()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = profilerSignalHandler
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGALRM, &action, nil)
        pthread_sigmask(SIG_UNBLOCK, &block, nil)
    }

    /// Starts sampling every `interval` seconds of wall time.
    func start(interval: Double = 0.002) {
        profCount = 0
        let usec = max(100, Int(interval * 1e6))
        var timer = itimerval()
        timer.it_interval = timeval(tv_sec: usec / 1_000_000, tv_usec: usec % 1_000_000)
        timer.it_value = timer.it_interval
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
    }

    /// Stops sampling and returns the share of samples per frame label, largest first.
    func stop() -> [ProfileEntry] {
        var off = itimerval()
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &off, nil)
        signal(SIGALRM, SIG_IGN)
        let n = profCount
        let symbols = ExecutableSymbols()
        var counts: [String: Int] = [:]
        for s in 0..<n {
            let frames = profFrames + s * profDepth
            var label = "other (outside NN/Optim)"
            for f in 0..<Int(profDepths[s]) {
                guard let address = frames[f] else { continue }
                if let name = symbols.demangledName(containing: UInt(bitPattern: address) &- 1),
                   let l = SamplingProfiler.label(forFrame: name) {
                    label = l
                    break
                }
            }
            counts[label, default: 0] += 1
        }
        profFrames.deallocate()
        profDepths.deallocate()
        profCount = 0
        return counts.sorted { $0.value > $1.value }.map {
            ProfileEntry(label: $0.key, samples: $0.value, fraction: Double($0.value) / Double(max(n, 1)))
        }
    }

    /// `Type.method` for a demangled frame in module NN or Optim (closures count as their enclosing
    /// function): "closure #1 (…) in NN.Conv2d.forward(Tensor.Tensor) -> Tensor.Tensor" → "Conv2d.forward";
    /// private methods "(decode in _A1B2)" → "decode". Nil for frames of other modules.
    static func label(forFrame name: String) -> String? {
        // "protocol witness for NN.Layer.backward(…) in conformance NN.ReLU : NN.Layer in NN": the
        // layer's method was inlined into the witness; charge it to the conforming type.
        if name.hasPrefix("protocol witness for "), let c = name.range(of: " in conformance ") {
            let conformance = name[c.upperBound...]
            let typeName = conformance.range(of: " : ").map { conformance[..<$0.lowerBound] } ?? conformance
            if let method = label(forFrame: String(name[..<c.lowerBound]))?.split(separator: ".").last,
               let type = label(forFrame: typeName + ".witness")?.split(separator: ".").first {
                return "\(type).\(method)"
            }
        }
        for module in ["NN.", "Optim."] {
            var search = name.startIndex
            while let r = name.range(of: module, range: search..<name.endIndex) {
                search = r.upperBound
                // Must start a qualified name: at the beginning or after a space / "(".
                if r.lowerBound != name.startIndex {
                    let before = name[name.index(before: r.lowerBound)]
                    if before != " " && before != "(" { continue }
                }
                let rest = name[r.upperBound...]
                let type = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard !type.isEmpty, rest.dropFirst(type.count).first == "." else { continue }
                var method = rest.dropFirst(type.count + 1)
                if method.first == "(" { method = method.dropFirst() }   // "(decode in _XYZ)"
                let m = method.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard !m.isEmpty else { continue }
                return "\(type).\(m)"
            }
        }
        return nil
    }
}

// State shared with the signal handler (written only by it while sampling runs).
nonisolated(unsafe) private var profFrames: UnsafeMutablePointer<UnsafeMutableRawPointer?> = .allocate(capacity: 1)
nonisolated(unsafe) private var profDepths: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
nonisolated(unsafe) private var profCapacity = 0
nonisolated(unsafe) private var profDepth = 0
nonisolated(unsafe) private var profCount = 0
nonisolated(unsafe) private var profMainThread = pthread_self()
/// glibc's `backtrace` (execinfo.h is not part of the Glibc module), looked up with `dlsym`.
private typealias BacktraceFunction = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int32) -> Int32
nonisolated(unsafe) private var profBacktrace: BacktraceFunction?

private func profilerSignalHandler(_ sig: Int32) {
    guard pthread_equal(pthread_self(), profMainThread) != 0 else { return }
    let n = profCount
    guard n < profCapacity else { return }
    guard let bt = profBacktrace else { return }
    profDepths[n] = bt(profFrames + n * profDepth, Int32(profDepth))
    profCount = n + 1
}

@_silgen_name("swift_demangle")
private func swiftDemangle(_ mangled: UnsafePointer<CChar>?, _ length: Int, _ output: UnsafeMutablePointer<CChar>?,
                           _ outputSize: UnsafeMutablePointer<Int>?, _ flags: UInt32) -> UnsafeMutablePointer<CChar>?

/// The function symbols of the running executable (its ELF `.symtab`, which a release build keeps),
/// relocated by the executable's load address, for address → name lookups.
private final class ExecutableSymbols {
    private var starts: [UInt] = [], ends: [UInt] = [], names: [String] = []
    private var demangled: [Int: String] = [:]

    init() {
        guard let data = FileManager.default.contents(atPath: "/proc/self/exe") else { return }
        // The executable's load bias: `dlpi_addr` (the first field of `dl_phdr_info`) of the first
        // object `dl_iterate_phdr` reports, which is the main program. (link.h is not in the Glibc
        // module, so the function is looked up with `dlsym`.)
        typealias Callback = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32
        typealias Iterate = @convention(c) (Callback, UnsafeMutableRawPointer?) -> Int32
        var bias: UInt = 0
        guard let iterate = unsafeBitCast(dlsym(nil, "dl_iterate_phdr"), to: Iterate?.self) else { return }
        _ = withUnsafeMutablePointer(to: &bias) { b in
            iterate({ info, _, out in
                out!.assumingMemoryBound(to: UInt.self).pointee = info!.load(as: UInt.self)
                return 1
            }, UnsafeMutableRawPointer(b))
        }
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            func u16(_ o: Int) -> Int { Int(raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
            func u32(_ o: Int) -> Int { Int(raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
            func u64(_ o: Int) -> Int { Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
            // ELF64 little-endian only.
            guard raw.count > 64, raw[0] == 0x7f, raw[1] == 0x45, raw[4] == 2, raw[5] == 1 else { return }
            let shoff = u64(0x28), shentsize = u16(0x3A), shnum = u16(0x3C)
            guard shoff > 0, shoff + shnum * shentsize <= raw.count else { return }
            var entries: [(start: UInt, end: UInt, name: String)] = []
            for i in 0..<shnum {
                let sh = shoff + i * shentsize
                guard u32(sh + 4) == 2 else { continue }                      // SHT_SYMTAB
                let symOff = u64(sh + 24), symSize = u64(sh + 32), link = u32(sh + 40)
                let strSh = shoff + link * shentsize
                let strOff = u64(strSh + 24), strSize = u64(strSh + 32)
                guard symOff + symSize <= raw.count, strOff + strSize <= raw.count else { continue }
                var s = symOff
                while s + 24 <= symOff + symSize {
                    let info = raw[s + 4], value = u64(s + 8), size = u64(s + 16), nameOff = u32(s)
                    s += 24
                    guard info & 0xf == 2, value != 0, nameOff < strSize else { continue }   // STT_FUNC
                    let p = raw.baseAddress!.advanced(by: strOff + nameOff).assumingMemoryBound(to: CChar.self)
                    let start = UInt(value) &+ bias
                    entries.append((start, start &+ UInt(max(size, 1)), String(cString: p)))
                }
            }
            entries.sort { $0.start < $1.start }
            starts = entries.map(\.start); ends = entries.map(\.end); names = entries.map(\.name)
        }
    }

    /// The demangled name of the function whose code contains `address`, if it is in the executable.
    func demangledName(containing address: UInt) -> String? {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= address { lo = mid + 1 } else { hi = mid }
        }
        let i = lo - 1
        guard i >= 0, address < ends[i] else { return nil }
        if let d = demangled[i] { return d }
        let mangled = names[i]
        var d = mangled
        if let p = mangled.withCString({ swiftDemangle($0, strlen($0), nil, nil, 0) }) {
            d = String(cString: p)
            free(p)
        }
        demangled[i] = d
        return d
    }
}
#else
/// Sampling needs Linux (ELF symbols, glibc `backtrace`); elsewhere `--profile` reports nothing.
final class SamplingProfiler {
    init(maxSamples: Int = 200_000, createThreads: () -> Void) { createThreads() }
    func start(interval: Double = 0.002) {}
    func stop() -> [ProfileEntry] { [] }
    static func label(forFrame name: String) -> String? { nil }
}
#endif
