export * from './commands.js';
export * from './decide.js';
export * from './evolve.js';
export * from './pick.js';
export * from './planner-view.js';
export * from './state.js';
