using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// Holds the current scopes file and watches it: a valid new version is swapped in atomically;
/// an invalid one is logged and the last good version keeps serving; if the first load fails,
/// requests get <c>MIDDLEWARE_NOT_READY</c> until a valid file appears.
/// </summary>
public sealed partial class ScopesFileSource : IScopesFileSource, IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _debounce;
    private volatile ScopesFile? _current;

    /// <summary>Loads <paramref name="path"/> and starts watching it.</summary>
    public ScopesFileSource(string path, ILogger logger)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        Reload();
        string? directory = Path.GetDirectoryName(_path);
        if (directory is not null && Directory.Exists(directory))
        {
            _watcher = new FileSystemWatcher(directory, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => Schedule();
            _watcher.Created += (_, _) => Schedule();
            _watcher.Renamed += (_, _) => Schedule();
            _watcher.EnableRaisingEvents = true;
        }
    }

    /// <inheritdoc />
    public ScopesFile? Current => _current;

    /// <inheritdoc />
    public string? LastError { get; private set; }

    /// <summary>Reads the file again now (the watcher calls this after edits settle).</summary>
    public bool Reload()
    {
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LastError = $"cannot read {_path}: {ex.Message}";
            LogRejected(_logger, _path, LastError);
            return false;
        }

        if (!ScopesFile.TryParse(text, out var file, out string? error))
        {
            LastError = error;
            LogRejected(_logger, _path, error);
            return false;
        }

        _current = file;
        LastError = null;
        LogLoaded(_logger, _path, file.Routes.Count, file.Version);
        return true;
    }

    // Editors write in several steps; wait for the writes to settle before reading.
    private void Schedule() => _debounce.Change(150, Timeout.Infinite);

    /// <inheritdoc />
    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce.Dispose();
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Route scopes loaded from {Path}: {Count} routes, version {Version}")]
    private static partial void LogLoaded(ILogger logger, string path, int count, int version);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Route scopes file {Path} rejected, keeping the last good version: {Error}")]
    private static partial void LogRejected(ILogger logger, string path, string error);
}
