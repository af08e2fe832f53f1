using System.Text;
using System.Text.RegularExpressions;
using Tessera.Errors;

namespace Tessera.Broker.Tests;

/// <summary>docs/errors.md and the error catalog must agree, code for code, word for word.</summary>
public sealed class DocsTests
{
    private const string Begin = "<!-- BEGIN GENERATED CATALOG: edit ErrorCatalog.cs, then run scripts/update-docs.sh -->";
    private const string End = "<!-- END GENERATED CATALOG -->";

    [Fact]
    public void ErrorsDoc_MatchesTheCatalog()
    {
        string path = Path.Combine(InteropTests.RepoRoot(), "docs", "errors.md");
        string doc = File.ReadAllText(path);
        string expected = Render();

        if (Environment.GetEnvironmentVariable("TESSERA_UPDATE_DOCS") == "1")
        {
            int b = doc.IndexOf(Begin, StringComparison.Ordinal);
            int e = doc.IndexOf(End, StringComparison.Ordinal);
            doc = b >= 0 && e > b ? doc[..b] + expected + doc[(e + End.Length)..] : doc + "\n" + expected + "\n";
            File.WriteAllText(path, doc);
        }

        int begin = doc.IndexOf(Begin, StringComparison.Ordinal);
        int end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/errors.md lacks the generated catalog markers");
        Assert.Equal(expected, doc[begin..(end + End.Length)]);

        // Every code the broker can answer with is described exactly once.
        foreach (var e in ErrorCatalog.All)
        {
            Assert.Single(Regex.Matches(doc, $"^### {Regex.Escape(e.Code.Replace('_', '-'))}$", RegexOptions.Multiline));
        }
    }

    private static string Render()
    {
        var sb = new StringBuilder();
        sb.Append(Begin).Append('\n');
        sb.Append("\n| code | HTTP status | title |\n|---|---|---|\n");
        foreach (var e in ErrorCatalog.All)
        {
            sb.Append($"| [`{e.Code}`](#{e.Code.Replace('_', '-')}) | {e.Status} | {e.Title} |\n");
        }

        foreach (var e in ErrorCatalog.All)
        {
            sb.Append($"\n### {e.Code.Replace('_', '-')}\n\n");
            sb.Append($"`{e.Code}` · HTTP {e.Status} {e.Title}\n\n");
            sb.Append($"**Cause.** {e.Cause}\n\n");
            sb.Append($"**Fix.** {e.Fix}\n");
        }

        sb.Append('\n').Append(End);
        return sb.ToString();
    }
}
