import Testing
import StackBackupKit
import StackBackupTestSupport

@Suite("Backends keep the storage contract")
struct BackendContractTests {
    @Test(arguments: BackendContract.Check.allCases)
    func memoryBackendKeepsTheContract(_ check: BackendContract.Check) throws {
        try BackendContract.run(check, on: MemoryBackend())
    }

    @Test(arguments: BackendContract.Check.allCases)
    func localBackendKeepsTheContract(_ check: BackendContract.Check) throws {
        let folder = TemporaryDirectory("contract")
        let backend = LocalBackend(path: folder.sub("repo"))
        try backend.createEmptyRoot()
        try backend.createLayout()
        try BackendContract.run(check, on: backend)
    }
}
