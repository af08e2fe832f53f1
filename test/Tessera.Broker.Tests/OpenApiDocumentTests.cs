using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Http;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>
/// The OpenAPI document is generated from the code: every mapped endpoint is in it with its security
/// requirement and its error responses, the JSON and YAML forms are one document, the committed
/// <c>docs/openapi.yaml</c> is the served one, and an independent validator (Redocly CLI, pinned in
/// <c>tools/openapi-lint</c>) finds no error in it. <c>scripts/update-openapi.sh</c> rewrites the
/// committed copy (it runs <see cref="CommittedCopy_EqualsTheServedDocument"/> with
/// <c>TESSERA_UPDATE_OPENAPI=1</c>).
/// </summary>
public sealed class OpenApiDocumentTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    private static string CommittedPath => System.IO.Path.Combine(InteropTests.RepoRoot(), "docs", "openapi.yaml");

    [Fact]
    public async Task CommittedCopy_EqualsTheServedDocument()
    {
        using var response = await Broker.Client.GetAsync("/v1/openapi.yaml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType?.MediaType);
        string served = await response.Content.ReadAsStringAsync();

        if (Environment.GetEnvironmentVariable("TESSERA_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, served);
        }

        string committed = (await File.ReadAllTextAsync(CommittedPath)).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.True(committed == served, "docs/openapi.yaml differs from the document the broker serves; run scripts/update-openapi.sh and commit the result");
    }

    [Fact]
    public async Task EveryMappedEndpoint_IsInTheDocument_WithItsSecurityRequirement()
    {
        using var document = await ServedJsonAsync();
        var paths = document.RootElement.GetProperty("paths");
        var missing = new List<string>();
        int checkedCount = 0;
        foreach (var endpoint in Endpoints())
        {
            string path = Path(endpoint);
            foreach (string method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                checkedCount++;
                if (!paths.TryGetProperty(path, out var item) || !item.TryGetProperty(method.ToLowerInvariant(), out var operation))
                {
                    missing.Add($"{method} {path}: not in the document");
                    continue;
                }

                bool anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
                if (!operation.TryGetProperty("security", out var security))
                {
                    missing.Add($"{method} {path}: no security requirement");
                }
                else if (anonymous != (security.GetArrayLength() == 0))
                {
                    missing.Add($"{method} {path}: anonymous={anonymous} but security={security.GetRawText()}");
                }

                if (!operation.TryGetProperty("operationId", out _))
                {
                    missing.Add($"{method} {path}: no operationId");
                }
            }
        }

        Assert.True(checkedCount >= 51, $"only {checkedCount} operations enumerated");
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public async Task ScopedEndpoints_NameTheirScope_AndDocument401And403()
    {
        using var document = await ServedJsonAsync();
        var paths = document.RootElement.GetProperty("paths");
        var wrong = new List<string>();
        foreach (var endpoint in Endpoints())
        {
            string? policy = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
            if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null || policy is null || !policy.StartsWith("scope:", StringComparison.Ordinal))
            {
                continue;
            }

            string scope = policy["scope:".Length..];
            string path = Path(endpoint);
            foreach (string method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                var operation = paths.GetProperty(path).GetProperty(method.ToLowerInvariant());
                var requirement = operation.GetProperty("security")[0];
                if (!requirement.TryGetProperty("bearerToken", out var scopes) || scopes.EnumerateArray().Single().GetString() != scope)
                {
                    wrong.Add($"{method} {path}: security {requirement.GetRawText()}, expected bearerToken [{scope}]");
                }

                var responses = operation.GetProperty("responses");
                if (!responses.TryGetProperty("401", out var unauthorized) || !unauthorized.GetProperty("description").GetString()!.Contains("`unauthorized`", StringComparison.Ordinal))
                {
                    wrong.Add($"{method} {path}: no 401 naming unauthorized");
                }

                if (!responses.TryGetProperty("403", out var forbidden) || !forbidden.GetProperty("description").GetString()!.Contains("`insufficient_scope`", StringComparison.Ordinal))
                {
                    wrong.Add($"{method} {path}: no 403 naming insufficient_scope");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task DeclaredErrors_AreResponsesOfTheirStatus_WithTheProblemSchema()
    {
        using var document = await ServedJsonAsync();
        var paths = document.RootElement.GetProperty("paths");
        var wrong = new List<string>();
        int declared = 0;
        foreach (var endpoint in Endpoints())
        {
            string path = Path(endpoint);
            foreach (var errors in endpoint.Metadata.GetOrderedMetadata<ErrorsMetadata>())
            {
                foreach (var error in errors.Errors)
                {
                    foreach (string method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
                    {
                        declared++;
                        var responses = paths.GetProperty(path).GetProperty(method.ToLowerInvariant()).GetProperty("responses");
                        string status = error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        if (!responses.TryGetProperty(status, out var response) ||
                            !response.GetProperty("description").GetString()!.Contains($"`{error.Code}`", StringComparison.Ordinal) ||
                            response.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString() != "#/components/schemas/ProblemDocument")
                        {
                            wrong.Add($"{method} {path}: {status} {error.Code} not documented as a problem response");
                        }
                    }
                }
            }
        }

        Assert.True(declared > 0, "no endpoint declares an error");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        var problem = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDocument").GetProperty("properties");
        foreach (string field in new[] { "type", "title", "status", "detail", "instance", "error_code", "request_id", "hint", "docs_url" })
        {
            Assert.True(problem.TryGetProperty(field, out _), $"ProblemDocument lacks {field}");
        }
    }

    [Fact]
    public async Task EveryOperationThatTakesInputOrCredentials_ListsAClientError()
    {
        using var document = await ServedJsonAsync();
        var without = new List<string>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                // An anonymous GET without parameters (health, the keys, the documents) has nothing a client can get wrong.
                var op = operation.Value;
                bool takesSomething = op.GetProperty("security").GetArrayLength() > 0 || op.TryGetProperty("parameters", out _) || op.TryGetProperty("requestBody", out _);
                bool clientError = op.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('4'));
                if (takesSomething && !clientError)
                {
                    without.Add($"{operation.Name} {path.Name}");
                }
            }
        }

        Assert.True(without.Count == 0, "operations without a 4xx response: " + string.Join(", ", without));
    }

    [Fact]
    public async Task JsonAndYaml_AreTheSameDocument()
    {
        using var json = await ServedJsonAsync();
        string yaml = await Broker.Client.GetStringAsync("/v1/openapi.yaml");
        var fromYaml = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(yaml);

        Assert.Equal("3.1.1", json.RootElement.GetProperty("openapi").GetString());
        Assert.Equal(json.RootElement.GetProperty("openapi").GetString(), fromYaml["openapi"]);
        var yamlPaths = ((Dictionary<object, object>)fromYaml["paths"]).Keys.Cast<string>().Order(StringComparer.Ordinal).ToList();
        var jsonPaths = json.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(jsonPaths, yamlPaths);
    }

    [Fact]
    public async Task Document_IsServedTheSameEveryTime_AndWithoutCredentials()
    {
        string first = await Broker.Client.GetStringAsync("/v1/openapi.json");
        string second = await Broker.Client.GetStringAsync("/v1/openapi.json");
        Assert.Equal(first, second);
        Assert.DoesNotContain(Broker.Client.BaseAddress!.Authority, first, StringComparison.Ordinal);
    }

    [Fact]
    public void IndependentValidator_FindsNoError()
    {
        string root = InteropTests.RepoRoot();
        string tool = System.IO.Path.Combine(root, "tools", "openapi-lint");
        string redocly = System.IO.Path.Combine(tool, "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), $"Redocly CLI is not installed: run 'npm ci' in tools/openapi-lint (scripts/test.sh does)");

        var start = new ProcessStartInfo(redocly)
        {
            WorkingDirectory = tool,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("lint");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(System.IO.Path.Combine(tool, "redocly.yaml"));
        start.ArgumentList.Add(CommittedPath);
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "redocly lint did not finish in 3 minutes");
        Assert.True(process.ExitCode == 0, $"redocly lint failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
    }

    private async Task<JsonDocument> ServedJsonAsync()
    {
        using var response = await Broker.Client.GetAsync("/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private List<RouteEndpoint> Endpoints() =>
        [.. Broker.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)];

    private static string Path(RouteEndpoint endpoint) =>
        "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        }))));
}
