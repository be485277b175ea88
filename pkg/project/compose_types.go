package project

import "github.com/compose-spec/compose-go/v2/types"

// Aliases of the compose-go types that other roll packages read, so that
// compose-go stays imported by this package alone: replacing it touches one
// folder.
type (
	// ServiceConfig is a service's resolved compose configuration.
	ServiceConfig = types.ServiceConfig
	// BuildConfig is a service's build section.
	BuildConfig = types.BuildConfig
	// NetworkConfig is a top-level network of the project.
	NetworkConfig = types.NetworkConfig
	// VolumeConfig is a top-level named volume of the project.
	VolumeConfig = types.VolumeConfig
	// ServiceVolumeConfig is one entry of a service's volumes.
	ServiceVolumeConfig = types.ServiceVolumeConfig
	// ServicePortConfig is one entry of a service's ports.
	ServicePortConfig = types.ServicePortConfig
	// ServiceNetworkConfig is a service's attachment to one network.
	ServiceNetworkConfig = types.ServiceNetworkConfig
	// MappingWithEquals is an environment: a nil value is a variable without a value.
	MappingWithEquals = types.MappingWithEquals
	// StringList is a list of strings that compose also accepts as one string.
	StringList = types.StringList
)
