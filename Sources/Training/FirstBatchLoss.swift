import NN

extension TrainingTask {
    /// The loss of the first training batch (epoch 0, batch 0) at the current weights, leaving everything as it was:
    /// weights, gradients (zeroed), BatchNorm running statistics and carried state (`beginEpoch(0)` again).
    /// MLR-SNet's meta-training uses it to fix γ (the reference rule) and the output bias that sets the first LR.
    public func firstBatchLoss() -> Float {
        let saved = model.buffers.map(\.value)
        beginEpoch(0)
        let loss = model.withFrozenRunningStatistics { trainStep(epoch: 0, batch: 0) }
        for p in model.parameters { p.zeroGrad() }
        for (b, v) in zip(model.buffers, saved) { b.value = v }
        beginEpoch(0)
        return loss
    }
}
