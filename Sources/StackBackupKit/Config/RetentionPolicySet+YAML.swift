import Foundation
import Yams

extension RetentionPolicySet {
    static let policyKeys = ["keep_last", "keep_hourly", "keep_daily", "keep_weekly",
                             "keep_monthly", "keep_yearly", "keep_within", "keep_tags"]

    /// Reads a policy file (`default:` and optional `sources:`).
    public static func load(path: String) throws -> RetentionPolicySet {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, line: nil,
                                     message: "cannot read the retention policy file; check that it exists and is readable")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses policy YAML; `file` only names the source in errors.
    public static func parse(yaml: String, file: String) throws -> RetentionPolicySet {
        let reader = YAMLReader(file: file)
        guard let root = try reader.compose(yaml) else {
            throw ConfigurationError(file: file, line: nil,
                                     message: "the retention policy is empty; add a 'default:' section such as keep_daily: 7")
        }
        return try parse(root, reader: reader, context: "the top level")
    }

    /// Parses a `default:`/`sources:` mapping (a policy file, or `retention:` inline in the config).
    static func parse(_ root: YAMLNode, reader: YAMLReader, context: String, extraKeys: [String] = []) throws -> RetentionPolicySet {
        let mapping = try reader.mapping(root, context)
        var defaultPolicy: RetentionPolicy?
        var perSource: [String: RetentionPolicy] = [:]
        for entry in try reader.entries(mapping, allowed: ["default", "sources"] + extraKeys, context: context)
        where !extraKeys.contains(entry.key) {
            switch entry.key {
            case "default":
                defaultPolicy = try parsePolicy(entry.value, reader: reader, context: "'default'", at: entry.keyNode)
            default:
                if reader.isNull(entry.value) { continue }
                let sources = try reader.mapping(entry.value, "'sources'")
                for (keyNode, value) in sources {
                    let name = try reader.keyText(keyNode, "'sources'")
                    perSource[name] = try parsePolicy(value, reader: reader, context: "source '\(name)'", at: keyNode)
                }
            }
        }
        guard let defaultPolicy else {
            throw reader.error(root, "the retention policy has no 'default:' section; add one (e.g. keep_daily: 7) so sources without an override know what to keep")
        }
        return RetentionPolicySet(default: defaultPolicy, perSource: perSource)
    }

    /// One policy block; refuses unknown keys, negative counts, bad durations and empty policies.
    static func parsePolicy(_ node: YAMLNode, reader: YAMLReader, context: String, at keyNode: YAMLNode) throws -> RetentionPolicy {
        if reader.isNull(node) {
            throw reader.error(keyNode, "the policy for \(context) is empty and would delete every snapshot but the newest; give it at least one keep_* rule")
        }
        let mapping = try reader.mapping(node, "the policy for \(context)")
        var policy = RetentionPolicy()
        for entry in try reader.entries(mapping, allowed: policyKeys, context: context) {
            let count = { () throws -> Int? in
                guard let text = try reader.string(entry.value, entry.key) else { return nil }
                guard let value = Int(text) else {
                    throw reader.error(entry.value, "'\(entry.key)' must be a whole number of periods, not '\(text)'")
                }
                guard value >= 0 else {
                    throw reader.error(entry.value, "'\(entry.key)' must not be negative (\(value)); write the number of periods to keep")
                }
                return value
            }
            switch entry.key {
            case "keep_last": policy.keepLast = try count()
            case "keep_hourly": policy.keepHourly = try count()
            case "keep_daily": policy.keepDaily = try count()
            case "keep_weekly": policy.keepWeekly = try count()
            case "keep_monthly": policy.keepMonthly = try count()
            case "keep_yearly": policy.keepYearly = try count()
            case "keep_within":
                guard let text = try reader.string(entry.value, entry.key) else { continue }
                guard let duration = RetentionDuration(text) else {
                    throw reader.error(entry.value, "'keep_within' must be a duration like 10d, 2w, 6m (months), 1y6m or 12h, not '\(text)'")
                }
                policy.keepWithin = duration
            default:
                policy.keepTags = try reader.strings(entry.value, entry.key)
            }
        }
        if policy.isEmpty {
            throw reader.error(keyNode, "the policy for \(context) keeps nothing and would delete every snapshot but the newest; give it at least one keep_* rule above 0")
        }
        return policy
    }
}
