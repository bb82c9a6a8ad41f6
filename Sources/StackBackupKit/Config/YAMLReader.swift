import Foundation
import Yams

typealias YAMLNode = Yams.Node

/// Typed access to a composed YAML tree that turns every mismatch into a
/// `ConfigurationError` carrying the file and the offending node's line.
struct YAMLReader {
    let file: String
    /// Where an unknown key is recorded (and skipped) instead of thrown, when set.
    var problems: ConfigProblems?

    init(file: String, problems: ConfigProblems? = nil) {
        self.file = file
        self.problems = problems
    }

    /// Composes `yaml`; nil for an empty document. Syntax errors keep their line.
    func compose(_ yaml: String) throws -> YAMLNode? {
        do {
            return try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw translate(error)
        } catch {
            throw ConfigurationError(file: file, line: nil, message: "cannot be read as YAML: \(error)")
        }
    }

    private func translate(_ error: YamlError) -> ConfigurationError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let what = context.map { "\(problem) \($0.text)" } ?? problem
            return ConfigurationError(file: file, line: mark.line, message: "invalid YAML: \(what)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigurationError(file: file, line: context.mark.line,
                                      message: "duplicate key \(keys); each key may appear once")
        case let .reader(problem, _, _, _):
            return ConfigurationError(file: file, line: nil, message: "cannot be read as text: \(problem)")
        default:
            return ConfigurationError(file: file, line: nil, message: "invalid YAML: \(error)")
        }
    }

    func error(_ node: YAMLNode?, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node?.mark?.line, message: message)
    }

    func isNull(_ node: YAMLNode) -> Bool {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The mapping `node` must be; `context` names it in messages ("'postgres'").
    func mapping(_ node: YAMLNode, _ context: String) throws -> YAMLNode.Mapping {
        guard case let .mapping(mapping) = node else {
            throw error(node, "\(context) must be a mapping of keys to values, not \(kind(of: node))")
        }
        return mapping
    }

    /// Key/value pairs in file order, refusing keys not in `allowed`.
    func entries(_ mapping: YAMLNode.Mapping, allowed: [String], context: String) throws -> [(key: String, keyNode: YAMLNode, value: YAMLNode)] {
        var result: [(String, YAMLNode, YAMLNode)] = []
        for (keyNode, value) in mapping {
            let key = try keyText(keyNode, context)
            guard allowed.contains(key) else {
                var message = "unknown key '\(key)' under \(context)"
                if let guess = Self.suggestion(for: key, among: allowed) { message += " (did you mean '\(guess)'?)" }
                guard let problems else { throw error(keyNode, message) }
                problems.record(error(keyNode, message))
                continue
            }
            result.append((key, keyNode, value))
        }
        return result
    }

    /// `entries(_:allowed:context:)` over a section's key enum (`ConfigKeys`).
    func entries<Key: RawRepresentable & CaseIterable>(_ mapping: YAMLNode.Mapping, allowed: [Key] = Array(Key.allCases),
                                                       context: String) throws -> [(key: Key, keyNode: YAMLNode, value: YAMLNode)]
    where Key.RawValue == String {
        try entries(mapping, allowed: allowed.map(\.rawValue), context: context).map { entry in
            // `entries` let only the enum's raw values through.
            (Key(rawValue: entry.key)!, entry.keyNode, entry.value)
        }
    }

    func keyText(_ node: YAMLNode, _ context: String) throws -> String {
        guard case let .scalar(scalar) = node, !scalar.string.isEmpty else {
            throw error(node, "keys under \(context) must be plain names")
        }
        return scalar.string
    }

    func string(_ node: YAMLNode, _ key: String) throws -> String? {
        if isNull(node) { return nil }
        guard case let .scalar(scalar) = node else {
            throw error(node, "'\(key)' must be a single value, not \(kind(of: node))")
        }
        return scalar.string
    }

    func int(_ node: YAMLNode, _ key: String, minimum: Int = 0) throws -> Int? {
        guard let text = try string(node, key) else { return nil }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw error(node, "'\(key)' must be a whole number, not '\(text)'")
        }
        guard value >= minimum else {
            throw error(node, "'\(key)' must be at least \(minimum), not \(value)")
        }
        return value
    }

    func bool(_ node: YAMLNode, _ key: String) throws -> Bool? {
        guard let text = try string(node, key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "'\(key)' must be true or false, not '\(text)'")
        }
    }

    /// A list of text values; a single value counts as a one-element list.
    func strings(_ node: YAMLNode, _ key: String) throws -> [String] {
        if isNull(node) { return [] }
        switch node {
        case .scalar:
            return try string(node, key).map { [$0] } ?? []
        case let .sequence(sequence):
            return try sequence.map { item in
                guard case let .scalar(scalar) = item, !isNull(item) else {
                    throw error(item, "every entry of '\(key)' must be a single value, not \(kind(of: item))")
                }
                return scalar.string
            }
        default:
            throw error(node, "'\(key)' must be a list, not \(kind(of: node))")
        }
    }

    /// An elapsed time: "30s", "5m" (minutes), "12h", "7d", "2w", "1h30m", or bare seconds.
    func interval(_ node: YAMLNode, _ key: String) throws -> TimeInterval? {
        guard let text = try string(node, key) else { return nil }
        guard let seconds = Self.parseInterval(text) else {
            throw error(node, "'\(key)' must be a duration like 30s, 5m, 12h, 7d or 2w, not '\(text)'")
        }
        return seconds
    }

    static func parseInterval(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        var total = 0.0
        var digits = ""
        let chars = Array(trimmed)
        var i = 0
        var sawUnit = false
        while i < chars.count {
            let ch = chars[i]
            if ch.isASCII, ch.isNumber || ch == "." {
                digits.append(ch)
                i += 1
                continue
            }
            guard let value = Double(digits), digits.count <= 12 else { return nil }
            let factor: Double
            if ch == "m", i + 1 < chars.count, chars[i + 1] == "s" {
                factor = 0.001
                i += 1
            } else {
                switch ch {
                case "s": factor = 1
                case "m": factor = 60
                case "h": factor = 3600
                case "d": factor = 86_400
                case "w": factor = 604_800
                default: return nil
                }
            }
            total += value * factor
            digits = ""
            sawUnit = true
            i += 1
        }
        return sawUnit && digits.isEmpty ? total : nil
    }

    func kind(of node: YAMLNode) -> String {
        switch node {
        case .scalar: return "a single value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The allowed key closest to a misspelt one, if it is close enough.
    static func suggestion(for key: String, among allowed: [String]) -> String? {
        let scored = allowed.map { ($0, editDistance(key.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, best.0.count / 3) ? best.0 : nil
    }

    /// Edit distance counting an adjacent transposition as one edit ("volumse" → "volumes": 1).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
