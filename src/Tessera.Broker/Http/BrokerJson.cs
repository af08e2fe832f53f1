using System.Text.Json.Serialization;
using Tessera.Broker.Admin;
using Tessera.Broker.Health;
using Tessera.Broker.Registration;
using Tessera.Broker.Tokens;

namespace Tessera.Broker.Http;

/// <summary>Source-generated JSON for every broker request and response (no reflection per request).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    MaxDepth = 16)]
[JsonSerializable(typeof(AdminAuthRequest))]
[JsonSerializable(typeof(AdminAuthResponse))]
[JsonSerializable(typeof(LaunchTokenRequest))]
[JsonSerializable(typeof(LaunchTokenResponse))]
[JsonSerializable(typeof(ChallengeResponse))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(ValidateRequest))]
[JsonSerializable(typeof(ValidateSuccess))]
[JsonSerializable(typeof(ValidateFailure))]
[JsonSerializable(typeof(RenewResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(Tessera.Broker.Delegation.DelegateRequest))]
[JsonSerializable(typeof(Tessera.Broker.Delegation.DelegateResponse))]
[JsonSerializable(typeof(Tessera.Broker.Revocation.RevokeRequest))]
[JsonSerializable(typeof(Tessera.Broker.Apps.CreateAppRequest))]
[JsonSerializable(typeof(Tessera.Broker.Apps.UpdateAppRequest))]
[JsonSerializable(typeof(Tessera.Broker.Apps.RotateSecretRequest))]
[JsonSerializable(typeof(Tessera.Broker.Apps.AppAuthRequest))]
[JsonSerializable(typeof(Tessera.Broker.Apps.AppCreatedResponse))]
[JsonSerializable(typeof(Tessera.Broker.Apps.AppView))]
[JsonSerializable(typeof(Tessera.Broker.Apps.AppListResponse))]
[JsonSerializable(typeof(Tessera.Broker.Apps.AppSecretResponse))]
[JsonSerializable(typeof(Tessera.Broker.Apps.AppDeregisteredResponse))]
[JsonSerializable(typeof(Tessera.Broker.Apps.AppAuthResponse))]
[JsonSerializable(typeof(Tessera.Broker.Revocation.RevokeResponse))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.RouteRuleDto[]))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.CreatePlatformRequest))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.UpdatePlatformRequest))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.PlatformView))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.PlatformCreatedResponse))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.PlatformListResponse))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.PlatformRemovedResponse))]
[JsonSerializable(typeof(Tessera.Broker.Platforms.PlatformSecretResponse))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.CreateAgentRequest))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.UpdateAgentRequest))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.GrantRequest))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.StatusChangeRequest))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.AgentView))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.AgentCreatedResponse))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.AgentListResponse))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.RegisteredAgentView))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.AgentSecretResponse))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.CredentialsRequest))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.MyPlatformsResponse))]
[JsonSerializable(typeof(Tessera.Broker.Enforcement.EnforcementReport))]
[JsonSerializable(typeof(Tessera.Broker.Enforcement.EnforcementReportResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.CompatRequest))]
[JsonSerializable(typeof(ProblemDocument))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.OAuthErrorDocument))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.OAuthTokenDocument))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.TokenRequestDocument))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.MudraIdErrorDocument))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.MudraIdPlatformsDocument))]
[JsonSerializable(typeof(Tessera.Broker.Credentials.MudraIdTokenDocument))]
internal sealed partial class BrokerJson : JsonSerializerContext;
