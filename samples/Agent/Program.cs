using AgentSample;

// An agent that registers with a launch token, calls the sample orders API through
// IHttpClientFactory without ever touching a token, and delegates read access to a sub-agent.
//   TESSERA_BROKER=http://127.0.0.1:8080 TESSERA_LAUNCH_TOKEN=… TESSERA_PLATFORM_URL=http://127.0.0.1:5080 \
//     dotnet run --project samples/Agent
// TESSERA_SUB_LAUNCH_TOKEN registers the sub-agent (default: the same launch token, which then
// has to be issued with "single_use": false). Exit 0 only when every call succeeded.
if (!AgentSampleSettings.TryFromEnvironment(out var settings, out string? problem))
{
    await Console.Error.WriteLineAsync(problem);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await AgentWalkthrough.RunAsync(settings, Console.Out, stop.Token);
