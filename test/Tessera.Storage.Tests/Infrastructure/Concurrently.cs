namespace Tessera.Storage.Tests.Infrastructure;

/// <summary>Runs many operations at once, released together from a start barrier.</summary>
public static class Concurrently
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Starts <paramref name="count"/> thread-pool tasks, waits until every one of them is running
    /// and parked on the barrier, then releases them all at once and returns their results by index.
    /// </summary>
    public static async Task<T[]> RunAsync<T>(int count, Func<int, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allParked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int pending = count;
        var tasks = new Task<T>[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            tasks[i] = Task.Run(async () =>
            {
                if (Interlocked.Decrement(ref pending) == 0)
                {
                    allParked.SetResult();
                }

                await start.Task;
                return await body(index);
            });
        }

        await allParked.Task.WaitAsync(Deadline);
        start.SetResult();
        return await Task.WhenAll(tasks).WaitAsync(Deadline);
    }
}
