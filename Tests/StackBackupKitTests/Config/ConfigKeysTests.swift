import Foundation
import Testing
@testable import StackBackupKit

@Suite("Config keys")
struct ConfigKeysTests {
    /// The README's "Config keys" table: section name → backticked keys, in order.
    static func readmeTable() throws -> [(section: String, keys: [String])] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../README.md").standardizedFileURL
        let lines = try String(contentsOf: readme, encoding: .utf8).components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "### Config keys"), "README.md has no '### Config keys' section")
        var rows: [(String, [String])] = []
        for line in lines[(start + 1)...].drop(while: { !$0.hasPrefix("|") }) {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 2, cells[0] != "section", !cells[0].hasPrefix("-") else { continue }
            let keys = cells[1].split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) }
            rows.append((cells[0], keys))
        }
        return rows
    }

    @Test func readmeTableListsExactlyTheParsersKeys() throws {
        let table = try Self.readmeTable()
        #expect(table.map(\.section) == ConfigKeys.sections.map(\.section))
        for (row, section) in zip(table, ConfigKeys.sections) {
            #expect(row.keys == section.keys, "README row '\(row.section)'")
        }
    }

    @Test func anUnknownKeyIsRefusedWithTheNearestKnownOne() throws {
        #expect {
            _ = try ConfigParser(file: "/tmp/x.yml").parse("volumes:\n  a:\n    path: /x\n    one_file_sytem: true\n")
        } throws: { error in
            "\(error)".contains("unknown key 'one_file_sytem' under volume 'a' (did you mean 'one_file_system'?)")
        }
    }
}
