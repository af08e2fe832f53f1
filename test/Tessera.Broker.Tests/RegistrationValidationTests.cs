using Tessera.Broker.Registration;
using Tessera.Errors;

namespace Tessera.Broker.Tests;

public sealed class RegistrationValidationTests
{
    private static RegisterRequest Valid() => new()
    {
        LaunchToken = "tsr_launch",
        Nonce = "00",
        PublicKey = "key",
        Signature = "sig",
        OrchId = "orch-1",
        TaskId = "task-1",
        RequestedScope = ["read:data:*"],
    };

    [Fact]
    public void CheckRequest_AcceptsAWellFormedRequest_AndParsesTheScope()
    {
        Assert.Null(RegistrationValidation.CheckRequest(Valid(), out var requested));
        Assert.Equal(["read:data:*"], requested.ToArray());
    }

    [Fact]
    public void CheckRequest_RefusesAMissingField()
    {
        var request = Valid();
        request.Signature = "";

        var failure = RegistrationValidation.CheckRequest(request, out _);

        Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
        Assert.Equal("missing required field", failure.Detail);
        Assert.Equal("launch_token, nonce, public_key, signature, orch_id and task_id are required", failure.Hint);
    }

    [Fact]
    public void CheckRequest_RefusesAnEmptyRequestedScope()
    {
        var request = Valid();
        request.RequestedScope = [];

        var failure = RegistrationValidation.CheckRequest(request, out _);

        Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
        Assert.Equal("missing required field: requested_scope", failure.Detail);
    }

    [Fact]
    public void CheckRequest_RefusesATaskIdThatIsNoPathSegment()
    {
        var request = Valid();
        request.TaskId = "task/1";

        var failure = RegistrationValidation.CheckRequest(request, out _);

        Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
        Assert.Equal("orch_id and task_id must be 1-128 characters of letters, digits, '-', '_' or '.'", failure.Detail);
    }

    [Fact]
    public void CheckRequest_RefusesAMalformedScope()
    {
        var request = Valid();
        request.RequestedScope = ["not a scope"];

        var failure = RegistrationValidation.CheckRequest(request, out _);

        Assert.Equal(ErrorCatalog.InvalidScopeFormat, failure!.Error);
    }

    [Fact]
    public void CheckRequest_RefusesAReservedScope_NamingIt()
    {
        var request = Valid();
        request.RequestedScope = ["read:data:*", "admin:revoke:*"];

        var failure = RegistrationValidation.CheckRequest(request, out _);

        Assert.Equal(ErrorCatalog.ScopeViolation, failure!.Error);
        Assert.Equal("requested scope is in a reserved namespace", failure.Detail);
        Assert.Equal("'admin:revoke:*' is under admin: or app:, which no agent token may carry", failure.Hint);
    }

    [Theory]
    [InlineData("orders-api", true)]
    [InlineData("orders api", false)]
    [InlineData("orders\u0001api", false)]
    public void CheckAudience_AllowsOnlyPlainIdentifiers(string audience, bool ok)
    {
        var failure = RegistrationValidation.CheckAudience(audience);

        Assert.Equal(ok, failure is null);
        if (!ok)
        {
            Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
            Assert.Equal("audience must be at most 256 characters without spaces", failure.Detail);
        }
    }

    [Fact]
    public void CheckAudience_RefusesMoreThan256Characters()
    {
        Assert.Null(RegistrationValidation.CheckAudience(new string('a', 256)));
        Assert.NotNull(RegistrationValidation.CheckAudience(new string('a', 257)));
    }

    [Fact]
    public void CheckTtl_DefaultsToTheLaunchPolicy_AndKeepsAnAllowedRequest()
    {
        Assert.Null(RegistrationValidation.CheckTtl(null, 300, out int ttl));
        Assert.Equal(300, ttl);
        Assert.Null(RegistrationValidation.CheckTtl(120, 300, out ttl));
        Assert.Equal(120, ttl);
    }

    [Fact]
    public void CheckTtl_RefusesANonPositiveOrTooLongLifetime()
    {
        var zero = RegistrationValidation.CheckTtl(0, 300, out _);
        Assert.Equal(ErrorCatalog.InvalidTtl, zero!.Error);
        Assert.Equal("requested_ttl must be a positive number of seconds", zero.Detail);

        var tooLong = RegistrationValidation.CheckTtl(301, 300, out _);
        Assert.Equal(ErrorCatalog.InvalidTtl, tooLong!.Error);
        Assert.Equal("requested_ttl exceeds the launch policy's max_ttl of 300 seconds", tooLong.Detail);
    }

    [Fact]
    public void ReadPublicKey_TakesBothBase64Alphabets_AndOnly32Bytes()
    {
        byte[] raw = new byte[32];
        raw[0] = 0xfb;
        raw[1] = 0xff;
        Assert.Null(RegistrationValidation.ReadPublicKey(Convert.ToBase64String(raw), out byte[] key));
        Assert.Equal(raw, key);
        Assert.Null(RegistrationValidation.ReadPublicKey(System.Buffers.Text.Base64Url.EncodeToString(raw), out key));
        Assert.Equal(raw, key);

        var wrongSize = RegistrationValidation.ReadPublicKey(Convert.ToBase64String(new byte[44]), out _);
        Assert.Equal(ErrorCatalog.Unauthorized, wrongSize!.Error);
        Assert.Equal("invalid Ed25519 public key: wrong key size", wrongSize.Detail);

        var notBase64 = RegistrationValidation.ReadPublicKey("***", out _);
        Assert.Equal("invalid Ed25519 public key: base64 decode failed", notBase64!.Detail);
    }

    [Fact]
    public void ReadSignature_RefusesWhatDoesNotDecode()
    {
        var failure = RegistrationValidation.ReadSignature(new string('A', 513), out _);

        Assert.Equal(ErrorCatalog.Unauthorized, failure!.Error);
        Assert.Equal("nonce signature verification failed: base64 decode failed", failure.Detail);
        Assert.Equal("send base64 of the 64-byte Ed25519 signature", failure.Hint);
    }

    [Fact]
    public void Safe_KeepsOnlyIdentifiersForTheAuditTrail()
    {
        Assert.Equal("task-1", RegistrationValidation.Safe("task-1"));
        Assert.Null(RegistrationValidation.Safe("task 1"));
        Assert.Null(RegistrationValidation.Safe(null));
    }
}
