import Foundation
import Tensor

/// Append-only CSV and JSON Lines logs of a run (`steps.csv`/`steps.jsonl`, `epochs.csv`/`epochs.jsonl`).
///
/// Rows are flushed as they are written so an interrupted run keeps everything up to its last step. On
/// resume, `truncate(keepingWhere:)` drops rows newer than the checkpoint, so the logs of a resumed run are
/// identical to those of an uninterrupted one (apart from wall-clock columns).
public final class RunLog {
    public let csvPath: String
    public let jsonlPath: String
    public let columns: [String]
    private var csv: FileHandle?
    private var jsonl: FileHandle?

    /// Opens (creating or appending to) `directory/name.csv` and `directory/name.jsonl`.
    public init(directory: String, name: String, columns: [String]) throws {
        csvPath = directory + "/" + name + ".csv"
        jsonlPath = directory + "/" + name + ".jsonl"
        self.columns = columns
        let fm = FileManager.default
        if !fm.fileExists(atPath: csvPath) {
            guard fm.createFile(atPath: csvPath, contents: Data((columns.joined(separator: ",") + "\n").utf8)) else {
                throw TrainingError.unwritable(csvPath)
            }
        }
        if !fm.fileExists(atPath: jsonlPath) {
            guard fm.createFile(atPath: jsonlPath, contents: Data()) else { throw TrainingError.unwritable(jsonlPath) }
        }
        csv = FileHandle(forWritingAtPath: csvPath)
        jsonl = FileHandle(forWritingAtPath: jsonlPath)
        guard csv != nil, jsonl != nil else { throw TrainingError.unwritable(csvPath) }
        csv!.seekToEndOfFile()
        jsonl!.seekToEndOfFile()
    }

    deinit { try? csv?.close(); try? jsonl?.close() }

    /// Appends one row; `values` must have one entry per column (nil → empty / null).
    public func append(_ values: [LogValue?]) throws {
        precondition(values.count == columns.count, "RunLog.append: \(values.count) values for \(columns.count) columns")
        let csvLine = values.map { $0?.csv ?? "" }.joined(separator: ",") + "\n"
        let json = "{" + zip(columns, values).map { "\"\($0)\":\($1?.json ?? "null")" }.joined(separator: ",") + "}\n"
        do { try csv!.write(contentsOf: Data(csvLine.utf8)) }
        catch { throw TrainingError.unwritable("\(csvPath): \(OutputDirectory.reason(error))") }
        do { try jsonl!.write(contentsOf: Data(json.utf8)) }
        catch { throw TrainingError.unwritable("\(jsonlPath): \(OutputDirectory.reason(error))") }
    }

    /// Keeps only the rows whose value in `column` satisfies `keep` (rewrites both files atomically).
    public func truncate(column: String, keep: (Double) -> Bool) throws {
        guard let ci = columns.firstIndex(of: column) else { return }
        try? csv?.close(); try? jsonl?.close()
        let csvText = RunLog.completeLines(csvPath)
        var csvLines = csvText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = csvLines.isEmpty ? columns.joined(separator: ",") : csvLines.removeFirst()
        let kept = csvLines.filter { line in
            // A row cut short by a kill has too few fields (or a cut number): it is dropped.
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return fields.count == columns.count && Double(fields[ci]).map(keep) == true
        }
        try AtomicFile.write(Array(([header] + kept).map { $0 + "\n" }.joined().utf8), to: csvPath)
        let jsonText = RunLog.completeLines(jsonlPath)
        let keptJSON = jsonText.split(separator: "\n", omittingEmptySubsequences: true).filter { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let v = (obj[column] as? NSNumber)?.doubleValue else { return false }
            return keep(v)
        }
        try AtomicFile.write(Array(keptJSON.map { $0 + "\n" }.joined().utf8), to: jsonlPath)
        csv = FileHandle(forWritingAtPath: csvPath); csv?.seekToEndOfFile()
        jsonl = FileHandle(forWritingAtPath: jsonlPath); jsonl?.seekToEndOfFile()
    }
}

extension RunLog {
    /// The file's text up to and including its last newline: a last line without one was cut off by a kill
    /// in the middle of a write and is dropped. Invalid UTF-8 is replaced (and the row then fails to parse).
    static func completeLines(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        var bytes = [UInt8](data)
        while let last = bytes.last, last != 0x0A { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One cell of a log row.
public enum LogValue: Sendable {
    case int(Int), float(Double), text(String)
    var csv: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return v.isFinite ? String(v) : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))
        case .text(let s): return s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
    }
    var json: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return v.isFinite ? String(v) : "null"
        case .text(let s):
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"" + escaped + "\""
        }
    }
}
