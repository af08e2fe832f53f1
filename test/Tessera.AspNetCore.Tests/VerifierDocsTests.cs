using Tessera.AspNetCore.Errors;
using Xunit;

namespace Tessera.AspNetCore.Tests;

/// <summary>The platform quick-start documents every verifier code with its status, cause and fix.</summary>
public sealed class VerifierDocsTests
{
    [Fact]
    public void Quickstart_error_table_lists_every_code_with_its_status()
    {
        string doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "platform-quickstart.md"));
        var rows = doc.Split('\n')
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && l.Contains('`', StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length >= 6 && cells[2].StartsWith('`'))
            .ToDictionary(cells => cells[2].Trim('`'), cells => cells);

        foreach (var error in VerifierError.All)
        {
            Assert.True(rows.TryGetValue(error.Code, out var cells), $"docs/platform-quickstart.md has no row for {error.Code}");
            Assert.Equal(error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), cells![1]);
            Assert.False(string.IsNullOrWhiteSpace(cells[3]), $"{error.Code}: cause is empty");
            Assert.False(string.IsNullOrWhiteSpace(cells[4]), $"{error.Code}: fix is empty");
        }

        Assert.DoesNotContain(rows.Keys, code => code.All(c => c is (>= 'A' and <= 'Z') or '_') && VerifierError.All.All(e => e.Code != code));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
