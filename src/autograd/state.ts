/** Global autograd flags: are ops being recorded, and is the model in training mode. */
export const state = { recording: false, training: false };
