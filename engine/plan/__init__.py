"""The plan: its values (Action, Change, FlowPlan), the pure three-way diff, the gate and renders."""
