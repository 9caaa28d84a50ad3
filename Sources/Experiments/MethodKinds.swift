/// The registry of learning-rate method kinds — THE one place a new kind is added.
///
/// To add a kind: write a `MethodKind` (name, accepted parameters, `check`, and `make`, which returns the kind's
/// `StepUpdater`) in `Methods/` (`AdaptiveMethods.swift` wraps existing updaters in a few lines), and add it to `all` below.
/// Studies then name it in a `MethodSpec(kind: ...)`.
public enum MethodKinds {
    public static let all: [MethodKind] = [
        .schedule,
        .mlrsnetMeta,
        .mlrsnetTransfer,
        .hd,
        .l4,
        .rtho,
        .lrController,
    ]

    /// The kind called `name`; an unknown name is an error listing the known ones.
    public static func named(_ name: String) throws -> MethodKind {
        guard let k = all.first(where: { $0.name == name }) else {
            throw ExperimentError("unknown method kind '\(name)'; known kinds: \(all.map(\.name).joined(separator: ", "))")
        }
        return k
    }
}
