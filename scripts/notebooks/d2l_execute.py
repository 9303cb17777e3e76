"""nbconvert's ExecutePreprocessor, made to wait for the Deno kernel's last stdout of each cell.

Why: Deno's kernel (2.9) forwards a cell's stdout from a pipe, through a reader thread, to the
iopub socket, and sends the cell's `idle` status without waiting for that pipe to drain. nbclient
stops listening for a cell at `idle`, so whatever stdout was still in the pipe is dropped (a
front end such as JupyterLab routes such late messages to their cell and shows them; headless
execution loses them). The pipe is first in, first out: after each code cell this preprocessor
runs one more request that prints a marker and keeps every stream message that arrives before the
marker as the cell's output. The marker request is not stored in the kernel's history and its own
output is not kept.

Use (no --execute; this replaces the stock execute preprocessor):
    PYTHONPATH=scripts/notebooks jupyter nbconvert --to notebook \
        --Exporter.preprocessors='["d2l_execute.FlushingExecutePreprocessor"]' \
        --FlushingExecutePreprocessor.enabled=True nb.ipynb
"""
import json
import uuid

from nbclient.util import ensure_async, run_sync
from nbconvert.preprocessors import ExecutePreprocessor
from traitlets import Float


class FlushingExecutePreprocessor(ExecutePreprocessor):
    """Executes each code cell, then collects the stdout the kernel sends after the cell's idle."""

    flush_timeout = Float(
        60.0, help="Seconds to wait for the marker that ends a cell's late output."
    ).tag(config=True)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.cell_type == 'code' and cell.source.strip():
            await self._collect_late_output(cell, cell_index)
        return cell

    # The base class binds execute_cell to its own coroutine; rebind it to the one above.
    execute_cell = run_sync(async_execute_cell)

    async def _collect_late_output(self, cell, cell_index):
        marker = f'd2l-flush-{uuid.uuid4().hex}'
        flush_id = await ensure_async(
            self.kc.execute(f'console.log({json.dumps(marker)});', store_history=False)
        )
        pending = ''
        seen_marker = False
        flush_idle = False
        while not (seen_marker and flush_idle):
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.flush_timeout))
            parent = msg['parent_header'].get('msg_id')
            kind = msg['msg_type']
            if parent == flush_id and kind == 'status' and msg['content']['execution_state'] == 'idle':
                flush_idle = True
            elif kind == 'stream' and not seen_marker:
                pending += msg['content']['text']
                if marker in pending:
                    seen_marker = True
                    late = pending[: pending.index(marker)]
                    if late:
                        self._append_stream(cell, cell_index, msg, late)
                    pending = ''
            elif kind in ('display_data', 'execute_result', 'error') and parent != flush_id:
                self.output(cell.outputs, msg, None, cell_index)
        # Consume the marker request's shell reply, so it cannot be taken for a later cell's.
        while True:
            reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=self.flush_timeout))
            if reply['parent_header'].get('msg_id') == flush_id:
                break

    def _append_stream(self, cell, cell_index, msg, text):
        late = {**msg, 'content': {**msg['content'], 'text': text}}
        self.output(cell.outputs, late, None, cell_index)
