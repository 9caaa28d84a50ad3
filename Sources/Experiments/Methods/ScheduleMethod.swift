import Schedules
import Training

extension MethodKind {
    /// A hand-designed schedule (`MethodSpec.schedule`, any `ScheduleConfig`) driving the run's optimiser.
    public static let schedule = MethodKind(
        name: "schedule", summary: "hand-designed schedule (fixed, exponential, multistep, cosine, sgdr, plateau, ...)",
        parameters: [],
        check: { method, run in
            guard let config = method.schedule else { throw ExperimentError("method \(method.name) (schedule): needs a \"schedule\"") }
            do { _ = try config.makeSchedule() } catch { throw ExperimentError("method \(method.name): schedule: \(error)") }
            if config.kind == "plateau" && !run.dataset.isText && run.validationPerClass == 0 {
                throw ExperimentError("method \(method.name): a plateau schedule watches the validation loss; the group needs validationPerClass > 0")
            }
        },
        make: { context in
            let schedule = try context.method.schedule!.makeSchedule()
            return PreparedMethod(updater: ScheduledUpdate(schedule), summary: "\(context.run.optimizer.rawValue), \(schedule.summary)")
        })
}
