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

    /// An index record at offset Int.max: `offset + length` overflowed and trapped,
    /// so opening the repository crashed every command. (Found reading the code
    /// beside the fuzzer; the harness reproduces it.)
    @Test func indexRecordAtTheLargestOffsetIsDamageNotACrash() async {
        await #expect(processExitsWith: .success) {
            let input = [UInt8](Data(base64Encoded: "AXsidmVyc2lvbiI6IDEsICJzdXBlcnNlZGVzIjogW10sICJwYWNrcyI6IFt7ImlkIjogImFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWIiLCAic2FsdCI6ICJjZGNkY2RjZGNkY2RjZGNkY2RjZGNkY2RjZGNkY2RjZGNkY2RjZGNkY2RjZGNkY2RjZGNkY2RjZGNkY2RjZGNkIiwgInNpemUiOiAxMDAwLCAiYmxvYnMiOiBbeyJpZCI6ICJlZmVmZWZlZmVmZWZlZmVmZWZlZmVmZWZlZmVmZWZlZmVmZWZlZmVmZWZlZmVmZWZlZmVmZWZlZmVmZWZlZmVmIiwgInQiOiAwLCAiZiI6IDAsICJvIjogOTIyMzM3MjAzNjg1NDc3NTgwNywgImwiOiAxNiwgInIiOiAwLCAicCI6IDB9XX1dfQ==")!)
            var errors: [Error] = []
            FuzzingEntryPoints.run("index", input) { errors.append($0) }
            guard errors.count == 1, errors[0] is IntegrityError, "\(errors[0])".contains("malformed record") else { exit(3) }
        }
    }

    /// A table whose parts' row counts add up past Int64.max: `rows` trapped in
    /// every reader (drill, restore, db status). The totals now saturate, so the
    /// drill reports a mismatch instead.
    @Test func manifestWhoseRowCountsOverflowIsReadWithoutACrash() async throws {
        await #expect(processExitsWith: .success) {
            let input = [UInt8](Data(base64Encoded: "AHsiZGF0YWJhc2UiOiAiZnJvemVuX2FwcCIsICJkYXRhYmFzZV9zaXplIjogNzY1NDMyMSwgImR1bXBlZF9hdCI6ICIyMDI2LTEyLTA3VDA4OjI2OjMzWiIsICJleHRlbnNpb25zIjogeyJwbHBnc3FsIjogIjEuMCJ9LCAibGFyZ2Vfb2JqZWN0cyI6IFt7ImJ5dGVzIjogNTQwNywgImNodW5rcyI6IFsiZWE0MzgyNWNiYmY3YTkwZjQwM2I2YTNiOTBlM2JlM2Y1OGI1ZWRlNGFhNjcwZGQ5OGE3NjQ0MWJkMDUxNTY5MCJdLCAib2lkIjogNDI0MjQyLCAib3duZXIiOiAicG9zdGdyZXMifV0sICJtYXRlcmlhbGl6ZWRfdmlld3MiOiBbeyJuYW1lIjogImF1dGhvcl9zdGF0cyIsICJzY2hlbWEiOiAicHVibGljIn1dLCAibm90X251bGxfbmFtZXMiOiBbeyJjb2x1bW4iOiAiaWQiLCAibmFtZSI6ICJ0X2lkX25vdF9udWxsIiwgInRhYmxlIjogeyJuYW1lIjogInQiLCAic2NoZW1hIjogInB1YmxpYyJ9fV0sICJwb3N0X2RhdGEiOiBbXSwgInByZV9kYXRhIjogW10sICJwcm9wZXJ0aWVzIjogeyJjb2xsYXRlIjogIkMuVVRGLTgiLCAiY29ubmVjdGlvbl9saW1pdCI6IC0xLCAiY3R5cGUiOiAiQy5VVEYtOCIsICJlbmNvZGluZyI6ICJVVEY4IiwgImxvY2FsZV9wcm92aWRlciI6ICJjIiwgIm93bmVyIjogInBvc3RncmVzIiwgInJvbGVfc2V0dGluZ3MiOiB7fSwgInNldHRpbmdzIjogW119LCAic2NoZW1hIjogeyJieXRlcyI6IDEyMzQsICJjaHVua3MiOiBbIjU1MGEwZjNjMzE3MzQ0ZDk3NzRlMjEyMmY0ZWUwMDQ3YjVlZWRmOGRhZTU1M2Y4MzQ0NjAzYjJiMzc5YjNmYTEiXSwgImZvcm1hdCI6ICJjdXN0b20iLCAicGdfZHVtcF92ZXJzaW9uIjogIjE1LjIwIn0sICJzZXF1ZW5jZXMiOiBbeyJpc19jYWxsZWQiOiBmYWxzZSwgImxhc3RfdmFsdWUiOiA1MDAsICJzZXF1ZW5jZSI6IHsibmFtZSI6ICJhdXRob3JzX2lkX3NlcSIsICJzY2hlbWEiOiAicHVibGljIn19LCB7ImlzX2NhbGxlZCI6IHRydWUsICJsYXN0X3ZhbHVlIjogMTAwMCwgInNlcXVlbmNlIjogeyJuYW1lIjogInBvc3RzX2lkX3NlcSIsICJzY2hlbWEiOiAicHVibGljIn19XSwgInNlcnZlcl92ZXJzaW9uIjogMTUwMDIwLCAic2VydmVyX3ZlcnNpb25fc3RyaW5nIjogIjE1LjIwIiwgInRhYmxlcyI6IFt7ImNvbHVtbnMiOiBbImlkIiwgImF1dGhvcl9pZCIsICJ0aXRsZSIsICJzbHVnIiwgImJvZHkiLCAibWV0YSIsICJhdHRhY2htZW50IiwgInNjb3JlIiwgInRhZ3MiLCAicmF0aW5ncyIsICJwdWJsaXNoZWRfYXQiXSwgImV4dGVuc2lvbl9jb2x1bW5zIjogW3siY29sdW1uIjogImVtYmVkZGluZyIsICJleHRlbnNpb24iOiAidmVjdG9yIiwgImV4dGVuc2lvbl92ZXJzaW9uIjogIjAuOC4wIiwgInR5cGUiOiAicHVibGljLnZlY3RvciJ9XSwgImZvcm1hdCI6ICJiaW5hcnkiLCAib3JkZXJlZF9ieSI6IFsiaWQiXSwgInBhcnRzIjogW3siYnl0ZXMiOiAxMDQ4NTAsICJjaHVua3MiOiBbImYwZjZhZmViMDI5MDE1MjRiYjRhYTI2OGIzMjQzYWExYTRhZTBiYWM0ODZjOTIzNmJjYjk1OWViNzA5NGY1MzIiXSwgImRpZ2VzdCI6ICI4YmI2NDc0OTQ1N2IxYmI1MTY1Y2MwMzkwMzRhM2VmZjM3M2VlYmZkZDMzZDliZTE0MWExN2VlYjBkYmVmNjdjIiwgInJvd3MiOiA5MjIzMzcyMDM2ODU0Nzc1ODA3fSwgeyJieXRlcyI6IDEwNDg1MCwgImNodW5rcyI6IFsiZjBmNmFmZWIwMjkwMTUyNGJiNGFhMjY4YjMyNDNhYTFhNGFlMGJhYzQ4NmM5MjM2YmNiOTU5ZWI3MDk0ZjUzMiJdLCAiZGlnZXN0IjogIjhiYjY0NzQ5NDU3YjFiYjUxNjVjYzAzOTAzNGEzZWZmMzczZWViZmRkMzNkOWJlMTQxYTE3ZWViMGRiZWY2N2MiLCAicm93cyI6IDF9XSwgInRhYmxlIjogeyJuYW1lIjogInBvc3RzIiwgInNjaGVtYSI6ICJwdWJsaWMifX0sIHsiY29sdW1ucyI6IFsicG9zdF9pZCIsICJyYXRlciIsICJzdGFycyIsICJub3RlIl0sICJmb3JtYXQiOiAidGV4dCIsICJvcmRlcmVkX2J5IjogWyJwb3N0X2lkIiwgInJhdGVyIl0sICJwYXJ0cyI6IFt7ImJ5dGVzIjogOTQzMSwgImNodW5rcyI6IFsiNjQyYWRmZjBmMzU3MzAyNGNlOTRiMDEzMjM5NDZiY2U1MmRkMjRiNzM5NGNmY2JlNTg5NmU2Y2JkNmI0MDVlZiJdLCAiZGlnZXN0IjogImYzNjBmMjIwMDEzYTQ3MWI0NmFkMzI4M2FkMzk1NWRmMDlmYTFjNzZmYTk4NmJkOWFhNTcwM2JhNTRkODVlNWMiLCAicm93cyI6IDQ1MH1dLCAidGFibGUiOiB7Im5hbWUiOiAicG9zdF9yYXRpbmdzIiwgInNjaGVtYSI6ICJwdWJsaWMifX0sIHsiY29sdW1ucyI6IFsiaWQiLCAibmFtZSIsICJiaW8iLCAiam9pbmVkIl0sICJmb3JtYXQiOiAidGV4dCIsICJvcmRlcmVkX2J5IjogWyJpZCJdLCAicGFydHMiOiBbeyJieXRlcyI6IDE0OTQsICJjaHVua3MiOiBbImNjNDNlYjBlNzRjNjZkMzU3ZDdjNjVmMDZkZjk1NWZlNzA4M2Q5ZjM4MzBlNWZhMGMxOWIzOGJjY2M1YTFkNDMiXSwgImRpZ2VzdCI6ICJmZjFhZWY5YWY3YmRkNGRkMzdjYjNhNGZmYjI1Y2ViYzczZjQ5YTM4MmUxNDM4ZDJlZjA2ZGMwMGRlYjUxNWYwIiwgInJvd3MiOiAyMn1dLCAidGFibGUiOiB7Im5hbWUiOiAiYXV0aG9ycyIsICJzY2hlbWEiOiAicHVibGljIn19XSwgInZlcnNpb24iOiAyfQ==")!)
            FuzzingEntryPoints.run("manifest", input) { _ in exit(3) }
        }
    }
}
