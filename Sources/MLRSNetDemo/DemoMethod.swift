/// The schedules the demo compares, all on SGD with momentum from the same initial weights and batch order.
public enum DemoMethod: String, CaseIterable, Sendable {
    /// MLR-SNet meta-trained during this run (Algorithm 1: the LR of every step comes from the meta-learner,
    /// which is updated from a held-out validation batch every `metaInterval` steps).
    case mlrsnetMeta = "mlrsnet-meta"
    /// The shipped CIFAR-10/ResNet-20 MLR-SNet, θ frozen (plug-and-play transfer to a new data set and model).
    case mlrsnetTransfer = "mlrsnet-transfer"
    /// Constant LR.
    case fixed
    /// LR × 0.1 at ½ and ¾ of the epochs.
    case multistep
    /// Cosine annealing from the LR to 0 over the epochs (per step).
    case cosine

    public var title: String {
        switch self {
        case .mlrsnetMeta: return "MLR-SNet (meta-trained here)"
        case .mlrsnetTransfer: return "MLR-SNet (CIFAR-10 artifact)"
        case .fixed: return "Fixed"
        case .multistep: return "MultiStep"
        case .cosine: return "Cosine"
        }
    }

    /// A name short enough for a plot legend.
    public var shortTitle: String {
        switch self {
        case .mlrsnetMeta: return "MLR-SNet (meta)"
        case .mlrsnetTransfer: return "MLR-SNet (CIFAR-10)"
        default: return title
        }
    }
}
