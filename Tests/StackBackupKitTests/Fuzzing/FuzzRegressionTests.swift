import Foundation
import Testing
@_spi(Fuzzing) @testable import StackBackupKit

/// Inputs found by the libFuzzer harness (scripts/fuzz), fed byte for byte to
/// the same entry points: each must now end in a one-line IntegrityError.
@Suite struct FuzzRegressionTests {
    /// The errors one input produces, each of which must be acceptable.
    static func errors(_ target: String, _ input: [UInt8]) -> [Error] {
        var errors: [Error] = []
        FuzzingEntryPoints.run(target, input) { errors.append($0) }
        return errors
    }

    /// A tree whose content id holds a JSON "\f": the decoder quotes it, and the
    /// message went out with a form feed in it (any control character could be there).
    @Test func treeWithAControlCharacterInAnIdGivesAOneLineError() throws {
        let input = [UInt8](try #require(Data(base64Encoded: "AHsibm9kZXMiOlt7ImNvbnRlbnQiOltdLCJjdGltZV9ucyI6MTc5NjYzMTUyNzk4MjQ1MTU2MCwiZGV2aWNlIjo2NTAyNCwiZ2lkIjowLCJncm91cCI6InJvb3QiLCJpbm9kZSI6MTYyMjkxMDgsImxpbmtzIjoxLCJtb2RlIjo0MjAsIm10aW1lX25zIjoxNzY3MjI1NjAwMDAwMDAwMDAwLCJuYW1lIjoiZW1wdHkiLCJzaXplIjowLCJ0eXBlIjoiZmlsZSIsInVpZCI6MCwidXNlciI6InJvb3QifSx7ImNvbnRlbnQiOlsiZDM4MzU0M2JcZmU3MjEwM2VkZjA2OGI0NmIzY2RiNGZhZmU2YzNhMGQxMDNhOWI3ZTJkNzhjZTEyNDU1MWM0NiJdLCJjdGltZV9ucyI6MTc5NjYzMTUyNzk4MjQ1MTU2MCwiZGV2aWNlIjo2NTAyNCwiZ2lkIjowLCJncm91cCI6InJvb3QiLCJpbm9kZSI6MTYyMjkxMDcsImxpbmtzIjoxLCJtb2RlIjo0MjAsIm10aW1lX25zIjoxNzY3MjI1NjAwMDAwMDAwMDAwLCJuYW1lIjoiaGVsbG8udHh0Iiwic2l6ZSI6MTcsInR5cGUiOiJmaWxlIiwidWlkIjowLCJ1c2VyIjoicm9vdCJ9LHsiY3RpbWVfbnMiOjE3OTY2MzE1Mjc5ODI0NTE1NjAsImRldmljZSI6NjUwMjQsImdpZCI6MCwiZ3JvdXAiOiJyb290IiwiaW5vZGUiOjE2MjI5MTExLCJsaW5rIjoibmVzdGVkL2RlZXBlci9ub3Rlcy5tZCIsImxpbmtzIjoxLCJtb2RlIjo1MTEsIm10aW1lX25zIjoxNzY3MjI1NjAwMDAwMDAwMDAwLCJuYW1lIjoibGluay10by1ub3RlcyIsInNpemUiOjAsInR5cGUiOiJzeW1saW5rIiwidWlkIjowLCJ1c2VyIjoicm9vdCJ9LHsiY3RpbWVfbnMiOjE3OTY2MzE1Mjc5ODI0NTE1NjAsImRldmljZSI6NjUwMjQsImdpZCI6MCwiZ3JvdXAiOiJyb290IiwiaW5vZGUiOjE2MjI5MTAxLCJsaW5rcyI6NCwibW9kZSI6NDkzLCJtdGltZV9ucyI6MTc2NzIyNTYwMDAwMDAwMDAwMCwibmFtZSI6Im5lc3RlZCIsInNpemUiOjAsInN1YnRyZWUiOiI1MDllZDQwNDllMzVkYWQzYjU0ZjgwZGIyYzk0MmQ1ODExYjIwOWQ1ZTE4Zjg3MGNmNjBiNzVhMDAzY2U4ZTkwIiwidHlwZSI6ImRpciIsInVpZCI6MCwidXNlciI6InJvb3QifSx7ImNvbnRlbnQiOlsiYTA0M2IyMTkyZjZiZWYyYjFkNTFjYjQ3NTc2YjZjY2ExOGFjM2VmNmNkN2Y3M2FkZjAyMzZmYmIyMzM2ZGRlYyJdLCJjaW10ZV9ucyI6MTc5NjYzMTUyNzk4MjQ1MTU2MCwiZGV2aWNlIjo2NTAyNCwiZ2lkIjowLCJncm91cCI6InJvb3QiLCJpbm9kZSI6MTYyMjIyOTEwMiwibGlua3MiOjI5MTEwLCJsaW5rcyI6MSwibW9kZSI6NDkzLCJtdGltZV9ucyI6MTc2NzIyNTYwMDAwMDAwMDAwMCwibmFtZSI6InJ1bi5zaCIsInNpemUiOjI1LCJ0eXBlIjoiZmlsZSIsInVpZCI6MCwidXNlciI6InJvb3QifSx7ImNvbnRlbnQiOlsiMzdhZjE4NDI1NzJhNTQ4ZTZmMWFjMzU1YWY2ZWQ0YjRlOGFkMjQwYjZmNTkwODZkYmYyAAQ1NjBmMGQ4YTc2ZjdhIl0sImN0aW1lX25zIjoxNzk2NjMxNTI3OTgyNDUxNTYwLCJkZXZpY2UiOjY1MDI0LCJnaWQiOjAsImdyb3VwIjoicm9vdCIsImlub2RlIjoxNjIyOTEwOSwibGlua3MiOjEsIm1vZGUiOjM4NCwibXRpVW5zYWYiOjE3NjcyMjU2MDAwMDAwMDAwMDAsIm5hbWUiOiJzZWNyZXQudHh0Iiwic2l6dSI6MTgsInR5cGUiOiJmaWxlIiwidWlkIjowLCJ1c2VyIjoicm9vdCJ9XX0=")))
        let errors = Self.errors("tree", input)
        #expect(errors.count == 1)
        for error in errors {
            #expect(error is IntegrityError)
            #expect(!"\(error)".unicodeScalars.contains { $0.properties.generalCategory == .control })
            #expect("\(error)".contains("\\u{c}"))
        }
    }

    /// A 14-byte blob whose index record says 4 GiB raw, holding a zstd frame of
    /// unknown size: the decompressor allocated the whole 4 GiB before failing.
    /// Run under a 3 GiB address-space limit, so that allocation cannot succeed.
    @Test func blobClaimingFourGigabytesFailsWithoutAllocatingThem() async throws {
        let input: [UInt8] = [0x02, 0xFD, 0xFF, 0xF7, 0x21, 0xFF, 0xFF, 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x00]
        let errors = Self.errors("pack", input)
        #expect(errors.count == 1 && errors.allSatisfy { $0 is IntegrityError })
        await #expect(processExitsWith: .success) {
            var limit = rlimit(rlim_cur: 3 << 30, rlim_max: 3 << 30)
            guard setrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0 else { exit(2) }
            let input: [UInt8] = [0x02, 0xFD, 0xFF, 0xF7, 0x21, 0xFF, 0xFF, 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x00]
            FuzzingEntryPoints.run("pack", input) { error in if !(error is IntegrityError) { exit(3) } }
        }
    }

    @Test func decompressorStillReadsDataCompressedFarPastTheEagerBound() throws {
        // Zeros compress far past the 64:1 bound, so this takes the growing path.
        let input = [UInt8](repeating: 0, count: 5 << 20)
        let compressed = try ZstdCompressor(level: 3).compress(input)
        #expect(compressed.count * 64 < input.count)
        #expect(try ZstdDecompressor().decompress(compressed, expectedSize: input.count) == input)
        #expect(throws: ZstdError.self) { try ZstdDecompressor().decompress(compressed, expectedSize: input.count - 1) }
        #expect(throws: ZstdError.self) { try ZstdDecompressor().decompress(compressed, expectedSize: input.count + 1) }
    }
}
