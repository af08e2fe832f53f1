using System.Text;

namespace Tessera.AspNetCore.Revocation;

/// <summary>
/// Reads UTF-8 lines (ended by LF, an optional CR before it dropped) from a stream, refusing any
/// line longer than a bound: a feed that never ends its line costs at most the bound, not the
/// process's memory. Buffers are allocated once per stream.
/// </summary>
internal sealed class BoundedLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly byte[] _line = new byte[maxLineBytes];
    private int _start;
    private int _end;

    /// <summary>The next line without its terminator, or null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">The line is longer than the bound.</exception>
    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        int length = 0;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                {
                    return length > 0 ? Decode(length) : null;
                }
            }

            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int take = (newline < 0 ? _end : newline) - _start;
            if (length + take > _line.Length)
            {
                throw new InvalidDataException($"revocation feed line longer than {_line.Length} bytes");
            }

            Buffer.BlockCopy(_buffer, _start, _line, length, take);
            length += take;
            if (newline >= 0)
            {
                _start = newline + 1;
                return Decode(length > 0 && _line[length - 1] == (byte)'\r' ? length - 1 : length);
            }

            _start = _end;
        }
    }

    private string Decode(int length) => length == 0 ? "" : Encoding.UTF8.GetString(_line, 0, length);
}
