import Schedules
import Testing

/// One call a trainer makes on a schedule.
enum Event {
    case step(TrainingSignal)
    case epochEnd(Int, Float?)
}

/// The calls of a run of `epochs` epochs of `stepsPerEpoch` steps: each step's signal, then `epochEnded(e, losses[e])`
/// (nil where `losses` has no entry). The validation loss in a signal is the last one reported.
func trainingEvents(stepsPerEpoch: Int, epochs: Int, losses: [Float?] = []) -> [Event] {
    var events: [Event] = []
    var lastValidation: Float? = nil
    for e in 0..<epochs {
        for i in 0..<stepsPerEpoch {
            events.append(.step(TrainingSignal(step: e * stepsPerEpoch + i, epoch: e, stepsPerEpoch: stepsPerEpoch,
                                               trainingLoss: Float(100 - e * stepsPerEpoch - i),
                                               validationLoss: lastValidation)))
        }
        let loss = e < losses.count ? losses[e] : nil
        events.append(.epochEnd(e, loss))
        if let loss { lastValidation = loss }
    }
    return events
}

/// Feeds `events` to `schedule`; returns the LR of every step, in order.
func replay<S: LearningRateSchedule>(_ schedule: inout S, _ events: some Collection<Event>) -> [Float] {
    var lrs: [Float] = []
    for event in events {
        switch event {
        case .step(let signal): lrs.append(schedule.learningRate(for: signal))
        case .epochEnd(let e, let loss): schedule.epochEnded(e, validationLoss: loss)
        }
    }
    return lrs
}

/// The LR of every step of a run (see `trainingEvents`).
func lrSequence<S: LearningRateSchedule>(_ schedule: S, stepsPerEpoch: Int = 3, epochs: Int = 8,
                                         losses: [Float?] = []) -> [Float] {
    var s = schedule
    return replay(&s, trainingEvents(stepsPerEpoch: stepsPerEpoch, epochs: epochs, losses: losses))
}

/// Expects `actual[i]` to match `expected[i]` to 1e-7 relative: the schedules compute in Double and round once to
/// Float (≤ 2⁻²⁴ ≈ 6e-8 relative), so anything beyond that is an arithmetic or semantic error. Zero must be exact.
func expectLRs(_ actual: [Float], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "count \(actual.count) ≠ \(expected.count)", sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let err = abs(Double(a) - e)
        #expect(err <= 1e-7 * abs(e), "step \(i): lr \(a) ≠ expected \(e) (rel. error \(err / abs(e)))",
                sourceLocation: sourceLocation)
    }
}

/// `values` each repeated `times` times (an LR that is constant within each epoch, 3 steps per epoch).
func perEpoch(_ values: [Double], times: Int = 3) -> [Double] {
    values.flatMap { Array(repeating: $0, count: times) }
}
