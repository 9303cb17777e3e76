import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, UsageError } from '../../cli/args.js';

test('commands: help, version, list', () => {
  assert.deepEqual(parseCommandLine([]), { command: 'help' });
  assert.deepEqual(parseCommandLine(['--help']), { command: 'help' });
  assert.deepEqual(parseCommandLine(['-h']), { command: 'help' });
  assert.deepEqual(parseCommandLine(['help', 'run']), { command: 'help', topic: 'run' });
  assert.deepEqual(parseCommandLine(['run', '--help']), { command: 'help', topic: 'run' });
  assert.deepEqual(parseCommandLine(['start', '-h']), { command: 'help', topic: 'start' });
  assert.deepEqual(parseCommandLine(['--version']), { command: 'version' });
  assert.deepEqual(parseCommandLine(['list']), { command: 'list' });
});

test('run: slug and every option, validated and converted', () => {
  const c = parseCommandLine([
    'run',
    'softmax-regression-scratch',
    '--epochs',
    '10',
    '--lr',
    '0.1',
    '--batch-size',
    '256',
    '--seed',
    '7',
    '--data-dir',
    '/d',
    '--out-dir',
    'o',
    '--ctx',
    'gpu:1',
    '--limit',
    '500',
    '--no-progress',
  ]);
  assert.deepEqual(c, {
    command: 'run',
    slug: 'softmax-regression-scratch',
    flags: {
      epochs: 10,
      lr: 0.1,
      batchSize: 256,
      seed: 7,
      dataDir: '/d',
      outDir: 'o',
      ctx: { deviceType: 'gpu', deviceId: 1 },
      limit: 500,
      progress: false,
    },
  });
  assert.deepEqual(parseCommandLine(['run', 'mlp', '--lr=5e-1', '--ctx', 'cpu']), {
    command: 'run',
    slug: 'mlp',
    flags: { lr: 0.5, ctx: { deviceType: 'cpu', deviceId: 0 } },
  });
  assert.deepEqual(parseCommandLine(['start', '--epochs', '1', '--progress']), { command: 'start', flags: { epochs: 1, progress: true } });
  assert.deepEqual(parseCommandLine(['run', 'mlp-gluon', '--kvstore', 'dist_sync']), {
    command: 'run',
    slug: 'mlp-gluon',
    flags: { kvstore: 'dist_sync' },
  });
  // Whether the program takes them is checked against its meta by main (it knows the chapters).
  assert.deepEqual(parseCommandLine(['run', 'resnet', '--resume', '--checkpoint-dir', 'ck', '--epochs', '5']), {
    command: 'run',
    slug: 'resnet',
    flags: { epochs: 5, resume: true, checkpointDir: 'ck' },
  });
  assert.deepEqual(parseCommandLine(['run', 'alexnet', '--checkpoint-dir=/tmp/a']), {
    command: 'run',
    slug: 'alexnet',
    flags: { checkpointDir: '/tmp/a' },
  });
});

test('bad numbers and options are UsageErrors naming the option and value', () => {
  const bad: [string[], RegExp][] = [
    [['run', 'mlp', '--epochs', '0'], /--epochs must be a positive integer, got '0'/],
    [['run', 'mlp', '--epochs', '2.5'], /--epochs must be a positive integer, got '2.5'/],
    [['run', 'mlp', '--epochs', 'ten'], /--epochs must be a positive integer, got 'ten'/],
    [['run', 'mlp', '--batch-size', '-3'], /--batch-size must be a positive integer/],
    [['run', 'mlp', '--lr', 'abc'], /--lr must be a positive number, got 'abc'/],
    [['run', 'mlp', '--lr', '0'], /--lr must be a positive number/],
    [['run', 'mlp', '--lr', 'Infinity'], /--lr must be a positive number/],
    [['run', 'mlp', '--seed', '-1'], /--seed must be an integer from 0 to 4294967295/],
    [['run', 'mlp', '--seed', '99999999999'], /--seed must be an integer/],
    [['run', 'mlp', '--ctx', 'tpu'], /--ctx must be cpu or gpu/],
    [['run', 'mlp', '--data-dir', ''], /--data-dir needs a directory/],
    [['run', 'mlp', '--bogus'], /unknown option '--bogus'/],
    [['run', 'mlp', '--epochs'], /--epochs/],
    [['run'], /run needs a chapter slug/],
    [['run', 'a', 'b'], /run takes one chapter slug/],
    [['start', 'extra'], /start takes no positional arguments/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['--frob'], /unknown option '--frob'/],
    [['list', 'x'], /list takes no arguments/],
    [['run', 'mlp', '--progress', '--no-progress'], /contradict/],
    [['run', 'mlp', '--kvstore', 'dist_async'], /--kvstore must be one of local, device, dist_sync, got 'dist_async'/],
    [['start', '--kvstore', 'dist_sync'], /--kvstore is an option of run/],
    [['start', '--resume'], /--resume is an option of run for the long CNN programs \(e\.g\. d2l-ts run resnet --resume\), not of start/],
    [['start', '--checkpoint-dir', 'ck'], /--checkpoint-dir is an option of run/],
    [['run', 'resnet', '--checkpoint-dir', ''], /--checkpoint-dir needs a directory, got an empty string/],
    [['run', 'resnet', '--checkpoint-dir'], /--checkpoint-dir/],
    [['run', 'resnet', '--resume=yes'], /--resume/],
  ];
  for (const [argv, re] of bad)
    assert.throws(
      () => parseCommandLine(argv),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
      argv.join(' '),
    );
});
