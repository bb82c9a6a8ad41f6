import Testing
@testable import StackBackupKit

@Test func versionIsSemantic() {
    #expect(StackBackupVersion.current.split(separator: ".").count == 3)
}
