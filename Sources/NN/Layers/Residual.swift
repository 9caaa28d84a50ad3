import Tensor

/// Residual connection `y = main(x) + shortcut(x)`, with the identity as shortcut when it is nil
/// (ResNet basic/bottleneck blocks, MobileNetV2 inverted residuals). Both branches see the same
/// input; backward sums the two branches' input gradients.
///
/// Shapes: whatever `main` maps `x` to; `shortcut(x)` (or `x` itself) must have the same shape.
/// Parameter/buffer names get the prefixes `mainName.` and `shortcutName.` (PyTorch-style dotted
/// paths; pass "" to keep a branch's own names, e.g. when `main` already names `conv1`, `bn1`, ...).
public final class Residual: Layer {
    public let main: any Layer
    public let shortcut: (any Layer)?
    private var outputShape: [Int]?

    public init(main: any Layer, shortcut: (any Layer)? = nil,
                mainName: String = "main", shortcutName: String = "shortcut") {
        self.main = main
        self.shortcut = shortcut
        if !mainName.isEmpty { main.prefixNames(mainName) }
        if let s = shortcut, !shortcutName.isEmpty { s.prefixNames(shortcutName) }
    }

    public func forward(_ x: Tensor) -> Tensor {
        var y = main.forward(x)
        let s = shortcut?.forward(x) ?? x
        precondition(y.shape == s.shape,
                     "Residual.forward: main branch gives \(y.shape) but the shortcut gives \(s.shape) (input \(x.shape))")
        y.addScaled(s)
        outputShape = y.shape
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let shape = outputShape else { preconditionFailure("Residual.backward: called before forward") }
        precondition(dy.shape == shape, "Residual.backward: gradient shape \(dy.shape) ≠ forward output shape \(shape)")
        var dx = main.backward(dy)
        let ds = shortcut?.backward(dy) ?? dy
        precondition(dx.shape == ds.shape,
                     "Residual.backward: branch input gradients differ in shape: \(dx.shape) vs \(ds.shape)")
        dx.addScaled(ds)
        return dx
    }

    public var sublayers: [any Layer] { [main] + (shortcut.map { [$0] } ?? []) }
    public var parameters: [Parameter] { main.parameters + (shortcut?.parameters ?? []) }
    public var buffers: [Buffer] { main.buffers + (shortcut?.buffers ?? []) }
    public var isTraining: Bool {
        get { main.isTraining }
        set {
            main.isTraining = newValue
            shortcut?.isTraining = newValue
        }
    }
}
