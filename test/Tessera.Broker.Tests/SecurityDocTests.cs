using System.Text.RegularExpressions;

namespace Tessera.Broker.Tests;

/// <summary>
/// docs/security.md names, for every attack, the tests that carry it out; a renamed or removed test
/// must not leave the document pointing at nothing.
/// </summary>
public sealed partial class SecurityDocTests
{
    [Fact]
    public void SecurityDoc_NamesOnlyTestsThatExist()
    {
        string root = InteropTests.RepoRoot();
        string doc = File.ReadAllText(Path.Combine(root, "docs", "security.md"));
        var sources = Directory.EnumerateFiles(Path.Combine(root, "test"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        var missing = new List<string>();
        int rows = 0;

        foreach (string line in doc.Split('\n'))
        {
            string[] cells = line.Split(" | ");
            if (!line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("| Attack", StringComparison.Ordinal) || cells.Length < 3)
            {
                continue;
            }

            rows++;
            var names = TestName().Matches(cells[^1]);
            Assert.True(names.Count > 0, $"a row of docs/security.md names no test: {line[..Math.Min(line.Length, 120)]}");
            foreach (Match name in names)
            {
                string type = name.Groups["type"].Value;
                string method = name.Groups["method"].Value;
                bool found = sources.Any(s =>
                    Regex.IsMatch(s, $@"\b(class|record)\s+{type}\b") &&
                    Regex.IsMatch(s, $@"\s{method}\s*\("));
                if (!found)
                {
                    missing.Add($"{type}.{method}");
                }
            }
        }

        Assert.True(rows > 150, $"docs/security.md lists only {rows} attacks");
        Assert.True(missing.Count == 0, "docs/security.md names tests that do not exist: " + string.Join(", ", missing.Distinct()));
    }

    [GeneratedRegex(@"`(?<type>[A-Z][A-Za-z0-9]*)\.(?<method>[A-Z][A-Za-z0-9_]*)`")]
    private static partial Regex TestName();
}
