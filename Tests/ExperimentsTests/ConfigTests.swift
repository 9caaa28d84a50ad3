import Experiments
import Foundation
import Schedules
import Testing
import TestSupport
import Training

@Suite("Experiments configuration")
struct ConfigTests {
    @Test("every study at every scale validates and survives a JSON round trip")
    func catalogRoundTrip() throws {
        for name in StudyCatalog.names {
            for scale in StudyScale.allCases {
                let s = try StudyCatalog.study(name, scale: scale)
                try s.validate()
                let back: Study = try decodeJSON(try jsonString(s))
                #expect(back == s, "\(name) \(scale)")
                #expect(s.name == name && s.scale == scale)
            }
        }
    }

    @Test("a sparse RunSpec takes the defaults; a full one round-trips")
    func runSpecJSON() throws {
        let sparse: RunSpec = try decodeJSON(#"{"dataset": "cifar10", "model": "resnet20", "epochs": 3}"#)
        var expected = RunSpec()
        expected.dataset = .cifar10; expected.model = "resnet20"; expected.epochs = 3
        #expect(sparse == expected)
        var full = expected
        full.clip = 0.25; full.trainPerClass = 7; full.cleanData = "x"; full.seed = 9; full.optimizer = .adam; full.dropout = 0.5
        let back: RunSpec = try decodeJSON(try jsonString(full))
        #expect(back == full)
    }

    @Test("a method in JSON: kind, schedule, parameters and overrides")
    func methodJSON() throws {
        let m: MethodSpec = try decodeJSON(#"""
            {"name": "a", "kind": "mlrsnet-meta", "parameters": {"hidden": 10, "gamma": "reference"}, "overrides": {"optimizer": "adam", "epochs": 4}}
            """#)
        #expect(m.parameters["hidden"] == .number(10) && m.parameters["gamma"] == .text("reference"))
        #expect(m.overrides.optimizer == .adam && m.overrides.epochs == 4 && m.schedule == nil)
        let back: MethodSpec = try decodeJSON(try jsonString(m))
        #expect(back == m)
    }

    func study(_ methods: [MethodSpec], run: RunSpec = { var r = RunSpec(); r.validationPerClass = 5; return r }(),
               seeds: [UInt64] = [0]) -> Study {
        Study(name: "t", title: "t", scale: .tiny, seeds: seeds, groups: [StudyGroup(name: "g", title: "g", run: run, methods: methods)])
    }

    func message(_ s: Study) -> String {
        do { try s.validate(); return "" } catch { return "\(error)" }
    }

    @Test("bad configurations are clear errors naming the problem")
    func badConfigs() throws {
        let fixed = MethodSpec.schedule("f", ScheduleConfig(kind: "fixed", parameters: ["lr": 0.1]))
        #expect(message(study([fixed])) == "")
        #expect(message(study([MethodSpec(name: "h", kind: "warp")])).contains("unknown method kind 'warp'; known kinds: schedule, mlrsnet-meta, mlrsnet-transfer, hd, l4, rtho, lr-controller"))
        #expect(message(study([MethodSpec(name: "m", kind: "mlrsnet-meta", parameters: ["hiden": 4])])).contains("unknown parameter 'hiden'"))
        #expect(message(study([MethodSpec(name: "m", kind: "mlrsnet-meta", parameters: ["architecture": "gru"])])).contains("architecture 'gru'"))
        #expect(message(study([MethodSpec(name: "t", kind: "mlrsnet-transfer", parameters: ["from": "g/nothing"])]))
            .contains("from \"g/nothing\" is not an earlier method"))
        #expect(message(study([MethodSpec(name: "t", kind: "mlrsnet-transfer", parameters: ["from": "g/x", "pretrained": "cifar10"])]))
            .contains("exactly one of from, artifact, pretrained"))
        #expect(message(study([fixed], seeds: [])).contains("at least one seed"))
        #expect(message(study([fixed, fixed])).contains("method names repeat"))
        #expect(message(study([MethodSpec.schedule("bad name", ScheduleConfig(kind: "fixed", parameters: ["lr": 0.1]))])).contains("must be letters"))
        #expect(message(study([MethodSpec.schedule("s", ScheduleConfig(kind: "cosine", parameters: ["initial": 0.1]))])).contains("length"))
        var noVal = RunSpec(); noVal.validationPerClass = 0
        #expect(message(study([MethodSpec.schedule("p", ScheduleConfig(kind: "plateau", parameters: ["initial": 0.1]))], run: noVal))
            .contains("validationPerClass"))
        #expect(message(study([MethodSpec(name: "m", kind: "mlrsnet-meta")], run: noVal)).contains("validation set"))
        var badModel = RunSpec(); badModel.model = "vgg"
        #expect(message(study([fixed], run: badModel)).contains("unknown model 'vgg'"))
        #expect(throws: ExperimentError.self) { try StudyCatalog.study("nope", scale: .tiny) }
        // A transfer from a meta-training method of an earlier group is fine.
        let s = Study(name: "t", title: "t", scale: .tiny, seeds: [0], groups: [
            StudyGroup(name: "a", title: "a", run: study([]).groups[0].run, methods: [MethodSpec(name: "m", kind: "mlrsnet-meta")]),
            StudyGroup(name: "b", title: "b", run: RunSpec(), methods: [MethodSpec(name: "t", kind: "mlrsnet-transfer", parameters: ["from": "a/m"])]),
        ])
        #expect(message(s) == "")
    }

    @Test("asking for more images of a class than the data hold is a clear error, not a crash")
    func tooFewImages() throws {
        var r = RunSpec()
        r.data = TestData.demoFashionMNIST; r.trainPerClass = 100_000
        #expect { try r.build() } throws: { "\($0)".contains("trainPerClass needs 100000 images of every class, but class 0 has") }
        r.trainPerClass = nil; r.testPerClass = 5_000
        #expect { try r.build() } throws: { "\($0)".contains("testPerClass needs 5000") }
    }
}
