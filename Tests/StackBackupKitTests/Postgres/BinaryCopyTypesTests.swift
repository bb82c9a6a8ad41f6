import Foundation
@testable import StackBackupKit
import Testing

@Suite struct BinaryCopyTypesTests {
    @Test func pgvectorTypesAreBinaryOnlyWhenTheVectorExtensionOwnsThem() {
        #expect(BinaryCopyTypes.isSafe(typeOID: 91234, typeName: "vector", extensionName: "vector"))
        #expect(BinaryCopyTypes.isSafe(typeOID: 91235, typeName: "halfvec", extensionName: "vector"))
        #expect(BinaryCopyTypes.isSafe(typeOID: 91236, typeName: "sparsevec", extensionName: "vector"))
        // pgvecto.rs: a type of the same name with another binary format.
        #expect(!BinaryCopyTypes.isSafe(typeOID: 91237, typeName: "vector", extensionName: "vectors"))
        // A user's own type called vector, or pgvector's array type.
        #expect(!BinaryCopyTypes.isSafe(typeOID: 91238, typeName: "vector", extensionName: nil))
        #expect(!BinaryCopyTypes.isSafe(typeOID: 91239, typeName: "_vector", extensionName: "vector"))
        #expect(!BinaryCopyTypes.isSafe(typeOID: 25, typeName: "text", extensionName: nil))
        #expect(BinaryCopyTypes.isSafe(typeOID: 1021, typeName: "_float4", extensionName: nil))
    }

    @Test func everyListedTypeSaysWhy() {
        #expect(BinaryCopyTypes.builtIn.allSatisfy { !$0.why.isEmpty })
        #expect(BinaryCopyTypes.extensionTypes.allSatisfy { !$0.why.isEmpty })
        #expect(Set(BinaryCopyTypes.builtIn.map(\.oid)).count == BinaryCopyTypes.builtIn.count)
    }

    @Test func extensionVersionsCompareByNumericParts() {
        #expect(ExtensionVersion.compare("0.8.1", "0.10.0") == .orderedAscending)
        #expect(ExtensionVersion.compare("0.8.6", "0.8.6") == .orderedSame)
        #expect(ExtensionVersion.compare("0.8", "0.8.1") == .orderedAscending)
        #expect(ExtensionVersion.compare("1.0", "0.9.9") == .orderedDescending)
        #expect(ExtensionVersion.compare("0.7.0-beta", "0.7.0") == .orderedDescending)
    }

    @Test func theNewestRecordedVersionIsRequiredPerExtension() {
        func table(_ name: String, _ columns: [(String, String)]) -> TableEntry {
            var entry = TableEntry(table: QualifiedName(schema: "public", name: name), columns: columns.map(\.0), format: "binary",
                                   orderedBy: [], parts: [])
            entry.extensionColumns = columns.map { ExtensionColumn(column: $0.0, type: "public.vector", extensionName: "vector", extensionVersion: $0.1) }
            return entry
        }
        let needed = ExtensionRequirement.needed(by: [table("a", [("e", "0.7.0")]), table("b", [("e", "0.8.1"), ("f", "0.8.1")]),
                                                      TableEntry(table: QualifiedName(schema: "public", name: "c"), columns: ["x"], format: "text", orderedBy: [], parts: [])])
        #expect(needed == [ExtensionRequirement(extensionName: "vector", version: "0.8.1", example: "public.b.e", columns: 3)])
        let requirement = needed[0]
        #expect(requirement.problem(have: "0.8.1", database: "immich", what: "x") == nil)
        #expect(requirement.problem(have: "0.9.0", database: "immich", what: "x") == nil)
        let older = requirement.problem(have: "0.7.4", database: "immich", what: "the version CREATE EXTENSION installs there")
        #expect(older?.contains("stores public.b.e (and 2 more column(s)) as vector 0.8.1 values in binary COPY format") == true)
        #expect(older?.contains("is vector 0.7.4; install vector 0.8.1 or newer") == true)
        #expect(requirement.problem(have: nil, database: "immich", what: "x")?.contains("has no vector extension") == true)
    }

    @Test func onlyChangedNotNullNamesAreRenamed() {
        let users = QualifiedName(schema: "public", name: "users")
        let recorded = [NotNullName(table: users, column: "id", name: "users_id_not_null"),
                        NotNullName(table: users, column: "name", name: "custom")]
        let restored = [NotNullName(table: users, column: "id", name: "users_id_not_null1"),
                        NotNullName(table: users, column: "name", name: "custom")]
        let statements = NotNullNames.renames(recorded: recorded, restored: restored) { "\"\($0)\"" }
        #expect(statements == ["ALTER TABLE \"public\".\"users\" RENAME CONSTRAINT \"users_id_not_null1\" TO \"users_id_not_null\""])
    }

    @Test func manifestsWithoutTheNewFieldsStillDecodeAndOmitThem() throws {
        let entry = TableEntry(table: QualifiedName(schema: "public", name: "t"), columns: ["a"], format: "text", orderedBy: [], parts: [])
        let json = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        #expect(!json.contains("extension_columns"))
        let decoded = try JSONDecoder().decode(TableEntry.self, from: Data(json.utf8))
        #expect(decoded.extensionColumns == nil)
    }
}

@Suite struct PostDataSettingsTests {
    func tables(_ sizes: [Int64]) -> [TableEntry] {
        sizes.enumerated().map { i, bytes in
            TableEntry(table: QualifiedName(schema: "public", name: "t\(i)"), columns: ["a"], format: "binary", orderedBy: [],
                       parts: [TablePart(rows: 1, bytes: bytes, chunks: [], digest: "")])
        }
    }

    @Test func memoryFollowsTheLargestTableBetweenFloorAndCap() {
        #expect(PostDataSettings.settings(for: []) == ["maintenance_work_mem": "256MB", "max_parallel_maintenance_workers": "0"])
        #expect(PostDataSettings.settings(for: tables([10 << 20, 400 << 20]))["maintenance_work_mem"] == "600MB")
        #expect(PostDataSettings.settings(for: tables([5 << 30]))["maintenance_work_mem"] == "1024MB")
    }
}
