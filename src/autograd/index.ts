// The public autograd namespace (MXNet's mx.autograd).
export { record, pause, trainMode, predictMode, isRecording, isTraining, setRecording, setTraining, backward, grad } from './autograd.js';
export type { BackwardOptions } from './autograd.js';
